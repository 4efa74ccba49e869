// Azure Cache for Redis (the option): retiring, kept for tenants that cannot create Azure Managed Redis yet.
// Not clustered on Basic/Standard; TLS only on port 6380; access keys disabled, Entra auth on.

@description('Cache name.')
param name string

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object

@description('Cache SKU.')
@allowed([
  'Basic'
  'Standard'
  'Premium'
])
param skuName string = 'Standard'

@description('Cache size (C0-C6 for Basic/Standard, P1-P5 for Premium).')
@minValue(0)
@maxValue(6)
param capacity int = 1

resource cache 'Microsoft.Cache/redis@2024-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    sku: {
      name: skuName
      family: skuName == 'Premium' ? 'P' : 'C'
      capacity: capacity
    }
    enableNonSslPort: false
    minimumTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
    disableAccessKeyAuthentication: true
    redisConfiguration: {
      'aad-enabled': 'true'
      // Stock counts and idempotency records are the system's state, not a cache: never evict them.
      'maxmemory-policy': 'noeviction'
    }
  }
}

output name string = cache.name
output id string = cache.id
output hostName string = cache.properties.hostName
output port int = cache.properties.sslPort

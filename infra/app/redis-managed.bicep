// Azure Managed Redis (the default): clustered with the OSS policy, TLS on port 10000, access keys disabled.
// Clients authenticate with Entra tokens; the access policy assignments are in rbac.bicep.

@description('Cluster name.')
param name string

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object

@description('Azure Managed Redis SKU, e.g. Balanced_B1, Balanced_B5, MemoryOptimized_M10.')
param skuName string = 'Balanced_B1'

@description('Replicate data for high availability (doubles the cost).')
param highAvailability bool = true

@description('Persistence of the database: none, aof (every second) or rdb (hourly snapshots).')
@allowed([
  'none'
  'aof'
  'rdb'
])
param persistence string = 'aof'

resource cluster 'Microsoft.Cache/redisEnterprise@2025-07-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: skuName
  }
  properties: {
    minimumTlsVersion: '1.2'
    highAvailability: highAvailability ? 'Enabled' : 'Disabled'
    publicNetworkAccess: 'Enabled'
  }
}

resource database 'Microsoft.Cache/redisEnterprise/databases@2025-07-01' = {
  parent: cluster
  name: 'default'
  properties: {
    clientProtocol: 'Encrypted'
    port: 10000
    clusteringPolicy: 'OSSCluster'
    // Stock counts and idempotency records are the system's state, not a cache: never evict them.
    evictionPolicy: 'NoEviction'
    accessKeysAuthentication: 'Disabled'
    persistence: {
      aofEnabled: persistence == 'aof'
      aofFrequency: persistence == 'aof' ? '1s' : null
      rdbEnabled: persistence == 'rdb'
      rdbFrequency: persistence == 'rdb' ? '1h' : null
    }
  }
}

output name string = cluster.name
output id string = cluster.id
output hostName string = cluster.properties.hostName
output port int = database.properties.port!

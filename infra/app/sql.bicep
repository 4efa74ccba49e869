// Azure SQL with Entra-only authentication: no SQL logins, no passwords.
// Bicep cannot create the app identity's database user; infra/scripts/sql-grant-identity.sql does that after deploy.

@description('Logical server name.')
param serverName string

@description('Database name.')
param databaseName string

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object

@description('Entra administrator\'s SID: the object ID of a user or group, the client (application) ID of a service principal or managed identity.')
param adminSid string

@description('Display name of the Entra administrator (shown in the portal; the SID is what grants access).')
param adminLogin string

@description('Kind of principal the administrator is.')
@allowed([
  'User'
  'Group'
  'Application'
])
param adminPrincipalType string

@description('Database SKU name, e.g. GP_S_Gen5_2 (serverless), GP_Gen5_2, S1.')
param skuName string = 'GP_S_Gen5_2'

@description('Database SKU tier matching skuName, e.g. GeneralPurpose, Standard.')
param skuTier string = 'GeneralPurpose'

@description('Maximum database size in GB.')
param maxSizeGB int = 32

@description('Serverless minimum vCores (ignored by provisioned SKUs).')
param serverlessMinCapacity string = '0.5'

resource server 'Microsoft.Sql/servers@2023-08-01' = {
  name: serverName
  location: location
  tags: tags
  properties: {
    version: '12.0'
    minimalTlsVersion: '1.2'
    publicNetworkAccess: 'Enabled'
    administrators: {
      administratorType: 'ActiveDirectory'
      azureADOnlyAuthentication: true
      login: adminLogin
      sid: adminSid
      principalType: adminPrincipalType
      tenantId: subscription().tenantId
    }
  }
}

// Flex Consumption without a virtual network calls out from shared Azure addresses; the 0.0.0.0 rule admits Azure
// services only (not the internet). Put the app in a VNet with a private endpoint to close this.
resource allowAzureServices 'Microsoft.Sql/servers/firewallRules@2023-08-01' = {
  parent: server
  name: 'AllowAllWindowsAzureIps'
  properties: {
    startIpAddress: '0.0.0.0'
    endIpAddress: '0.0.0.0'
  }
}

var isServerless = contains(skuName, '_S_')

resource database 'Microsoft.Sql/servers/databases@2023-08-01' = {
  parent: server
  name: databaseName
  location: location
  tags: tags
  sku: {
    name: skuName
    tier: skuTier
  }
  properties: {
    collation: 'SQL_Latin1_General_CP1_CI_AS'
    maxSizeBytes: maxSizeGB * 1024 * 1024 * 1024
    zoneRedundant: false
    // Timers run every few seconds, so a serverless database would never pause anyway: keep it from trying.
    autoPauseDelay: isServerless ? -1 : null
    minCapacity: isServerless ? json(serverlessMinCapacity) : null
  }
}

output serverName string = server.name
output fullyQualifiedDomainName string = server.properties.fullyQualifiedDomainName
output databaseName string = database.name

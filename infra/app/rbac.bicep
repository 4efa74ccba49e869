// Every grant in the system, in one place: Azure RBAC role assignments and the data-plane grants that are not
// RBAC (Redis access policies, PostgreSQL Entra administrators). The Azure SQL database user cannot be created
// from Bicep: infra/scripts/sql-grant-identity.sql does it after deploy (see docs/operations.md).

@description('Principal (object) ID of the function app\'s user-assigned identity.')
param appPrincipalId string

@description('Name of that identity (its PostgreSQL role name).')
param appIdentityName string

@description('Object ID of the person or pipeline running the deployment; empty grants them nothing.')
param deployerPrincipalId string = ''

@description('Kind of principal the deployer is.')
@allowed([
  'User'
  'ServicePrincipal'
])
param deployerPrincipalType string = 'User'

@description('Deployer\'s sign-in name (their PostgreSQL role name when they are made an Entra administrator).')
param deployerLogin string = ''

@description('Storage account holding the host state and the task queues.')
param storageAccountName string

@description('Application Insights component the app publishes telemetry to.')
param applicationInsightsName string

@description('Which Redis the app uses: managed (Azure Managed Redis) or cache (Azure Cache for Redis).')
@allowed([
  'managed'
  'cache'
])
param redisFlavor string

@description('Name of the Redis cluster or cache.')
param redisName string

@description('Which database the app uses: sql or postgres.')
@allowed([
  'sql'
  'postgres'
])
param databaseProvider string

@description('PostgreSQL flexible server name (used when databaseProvider is postgres).')
param postgresServerName string = ''

// Built-in role definition IDs (the same in every tenant).
var roles = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
}

var grantDeployer = !empty(deployerPrincipalId)

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: storageAccountName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// ---- The app identity ----

// Host leases, timer schedule status and the Flex deployment package.
resource appBlobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, appPrincipalId, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Queue triggers (inventory-tasks, its poison queue), the inventory-events output and the app's own sends.
resource appQueueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, appPrincipalId, roles.storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

// Telemetry ingestion with local auth off (APPLICATIONINSIGHTS_AUTHENTICATION_STRING).
resource appMetricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, appPrincipalId, roles.monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.monitoringMetricsPublisher)
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
  }
}

resource managedRedis 'Microsoft.Cache/redisEnterprise@2025-07-01' existing = if (redisFlavor == 'managed') {
  name: redisName

  resource database 'databases' existing = {
    name: 'default'
  }
}

// Azure Managed Redis: the Redis user is the identity's object ID; 'default' is the only (full data access) policy.
resource appManagedRedisAccess 'Microsoft.Cache/redisEnterprise/databases/accessPolicyAssignments@2025-07-01' = if (redisFlavor == 'managed') {
  parent: managedRedis::database
  name: 'inventoryapp'
  properties: {
    accessPolicyName: 'default'
    user: {
      objectId: appPrincipalId
    }
  }
}

resource cacheRedis 'Microsoft.Cache/redis@2024-11-01' existing = if (redisFlavor == 'cache') {
  name: redisName
}

// Azure Cache for Redis: the Redis user is the identity's object ID.
resource appCacheRedisAccess 'Microsoft.Cache/redis/accessPolicyAssignments@2024-11-01' = if (redisFlavor == 'cache') {
  parent: cacheRedis
  name: 'inventoryapp'
  properties: {
    accessPolicyName: 'Data Contributor'
    objectId: appPrincipalId
    objectIdAlias: appIdentityName
  }
}

resource postgres 'Microsoft.DBforPostgreSQL/flexibleServers@2024-08-01' existing = if (databaseProvider == 'postgres') {
  name: postgresServerName
}

// PostgreSQL: the identity is an Entra administrator, so it can run the app's migrations; its role name is the
// identity's name. (Azure SQL: see infra/scripts/sql-grant-identity.sql.)
resource appPostgresAdmin 'Microsoft.DBforPostgreSQL/flexibleServers/administrators@2024-08-01' = if (databaseProvider == 'postgres') {
  parent: postgres
  name: appPrincipalId
  properties: {
    principalType: 'ServicePrincipal'
    principalName: appIdentityName
    tenantId: subscription().tenantId
  }
}

// ---- The deployer (for debugging with their own sign-in; skipped when no principal is given) ----

resource deployerBlobOwner 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantDeployer) {
  name: guid(storage.id, deployerPrincipalId, roles.storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageBlobDataOwner)
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
  }
}

resource deployerQueueContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (grantDeployer) {
  name: guid(storage.id, deployerPrincipalId, roles.storageQueueDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roles.storageQueueDataContributor)
    principalId: deployerPrincipalId
    principalType: deployerPrincipalType
  }
}

// Redis allows one access-policy operation at a time per cache: each deployer grant waits for the app's.
resource deployerManagedRedisAccess 'Microsoft.Cache/redisEnterprise/databases/accessPolicyAssignments@2025-07-01' = if (grantDeployer && redisFlavor == 'managed') {
  parent: managedRedis::database
  name: 'deployer'
  properties: {
    accessPolicyName: 'default'
    user: {
      objectId: deployerPrincipalId
    }
  }
  dependsOn: [
    appManagedRedisAccess
  ]
}

resource deployerCacheRedisAccess 'Microsoft.Cache/redis/accessPolicyAssignments@2024-11-01' = if (grantDeployer && redisFlavor == 'cache') {
  parent: cacheRedis
  name: 'deployer'
  properties: {
    accessPolicyName: 'Data Contributor'
    objectId: deployerPrincipalId
    objectIdAlias: 'deployer'
  }
  dependsOn: [
    appCacheRedisAccess
  ]
}

resource deployerPostgresAdmin 'Microsoft.DBforPostgreSQL/flexibleServers/administrators@2024-08-01' = if (grantDeployer && databaseProvider == 'postgres' && !empty(deployerLogin)) {
  parent: postgres
  name: deployerPrincipalId
  properties: {
    principalType: deployerPrincipalType
    principalName: deployerLogin
    tenantId: subscription().tenantId
  }
  dependsOn: [
    appPostgresAdmin
  ]
}

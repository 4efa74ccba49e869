// Inventory on Azure: a Flex Consumption function app and everything it reaches, all by managed identity.
// Deploy with `azd up` (azure.yaml at the repo root); parameters and the post-deploy SQL step are in
// docs/operations.md.
targetScope = 'subscription'

// ---- Environment (set by azd) ----

@minLength(1)
@maxLength(64)
@description('azd environment name; names the resource group and seeds every resource name.')
param environmentName string

@minLength(1)
@description('Region for every resource. It must offer Flex Consumption and, with redisFlavor managed, Azure Managed Redis.')
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object ID of whoever deploys (azd fills in the signed-in principal). Gets data access for debugging and, with Azure SQL, becomes the server\'s Entra administrator. Empty: nobody but the app identity gets access.')
param principalId string = ''

@description('Kind of principal principalId is.')
@allowed([
  'User'
  'ServicePrincipal'
])
param principalType string = 'User'

@description('Sign-in name of the deployer: their login as Entra administrator of the database.')
param principalLogin string = deployer().userPrincipalName

// ---- Function app ----

@description('Memory of each Flex Consumption instance in MB.')
@allowed([
  512
  2048
  4096
])
param functionInstanceMemoryMB int = 2048

@description('Upper bound on instances across the function app.')
@minValue(1)
@maxValue(1000)
param functionMaximumInstanceCount int = 100

@description('Instances kept warm for the HTTP trigger group (0 scales to zero, with cold starts on checkout calls).')
@minValue(0)
param functionAlwaysReadyHttpInstances int = 1

@description('Number of task tables (task_00 ...). Changing it after data exists needs a migration: see docs/operations.md.')
@minValue(1)
@maxValue(64)
param taskShardCount int = 16

@description('Number of Redis journal partitions. Fixed once data exists: see docs/operations.md.')
@minValue(1)
param redisPartitions int = 16

@description('Turns on the hot-SKU limiter.')
param hotSkuEnabled bool = false

@description('NCRONTAB schedules (six fields, UTC) of the timer triggers.')
param timerSchedules {
  taskDispatch: string
  staleLease: string
  journalSweep: string
  taskPrune: string
  orderRecovery: string
  holdExpiry: string
  poisonRedrive: string
  reconcile: string
} = {
  taskDispatch: '*/5 * * * * *'
  staleLease: '*/15 * * * * *'
  journalSweep: '*/10 * * * * *'
  taskPrune: '0 */5 * * * *'
  orderRecovery: '*/10 * * * * *'
  holdExpiry: '*/1 * * * * *'
  poisonRedrive: '0 */1 * * * *'
  reconcile: '0 */5 * * * *'
}

@description('Storage redundancy.')
@allowed([
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
])
param storageSkuName string = 'Standard_LRS'

// ---- Redis ----

@description('managed: Azure Managed Redis (clustered, port 10000). cache: Azure Cache for Redis (retiring; port 6380).')
@allowed([
  'managed'
  'cache'
])
param redisFlavor string = 'managed'

@description('Azure Managed Redis SKU, e.g. Balanced_B1, Balanced_B5, MemoryOptimized_M10.')
param redisManagedSku string = 'Balanced_B1'

@description('Azure Managed Redis: replicate for high availability.')
param redisHighAvailability bool = true

@description('Azure Managed Redis persistence: none, aof (every second) or rdb (hourly).')
@allowed([
  'none'
  'aof'
  'rdb'
])
param redisPersistence string = 'aof'

@description('Azure Cache for Redis SKU.')
@allowed([
  'Basic'
  'Standard'
  'Premium'
])
param redisCacheSku string = 'Standard'

@description('Azure Cache for Redis size (C0-C6, or P1-P5 with Premium).')
@minValue(0)
@maxValue(6)
param redisCacheCapacity int = 1

// ---- Database ----

@description('sql: Azure SQL Database (Entra-only). postgres: Azure Database for PostgreSQL Flexible Server (Entra-only).')
@allowed([
  'sql'
  'postgres'
])
param databaseProvider string = 'sql'

@description('Azure SQL database SKU, e.g. GP_S_Gen5_2 (serverless), GP_Gen5_2, S1.')
param sqlSkuName string = 'GP_S_Gen5_2'

@description('Azure SQL SKU tier matching sqlSkuName.')
param sqlSkuTier string = 'GeneralPurpose'

@description('Azure SQL maximum database size in GB.')
param sqlMaxSizeGB int = 32

@description('PostgreSQL compute SKU, e.g. Standard_B1ms, Standard_D2ds_v5.')
param postgresSkuName string = 'Standard_D2ds_v5'

@description('PostgreSQL tier matching postgresSkuName.')
@allowed([
  'Burstable'
  'GeneralPurpose'
  'MemoryOptimized'
])
param postgresSkuTier string = 'GeneralPurpose'

@description('PostgreSQL storage in GB.')
param postgresStorageSizeGB int = 64

// ---- Alerts ----

@description('E-mail address alerts notify; empty: alerts show in the portal only.')
param alertEmail string = ''

@description('Alert when the oldest pending task is older than this many seconds.')
@minValue(1)
param oldestPendingTaskAgeThresholdSeconds int = 120

@description('Alert when at least this percentage of HTTP requests fail with 5xx.')
@minValue(1)
@maxValue(100)
param http5xxPercentThreshold int = 5

// ---- Names ----

var token = toLower(uniqueString(subscription().id, environmentName, location))
var tags = {
  'azd-env-name': environmentName
}
var names = {
  resourceGroup: 'rg-${environmentName}'
  identity: 'id-inventory-${token}'
  storage: 'stinv${token}'
  plan: 'plan-inventory-${token}'
  functionApp: 'func-inventory-${token}'
  logAnalytics: 'log-inventory-${token}'
  applicationInsights: 'appi-inventory-${token}'
  redis: 'redis-inventory-${token}'
  sqlServer: 'sql-inventory-${token}'
  postgres: 'psql-inventory-${token}'
  database: 'inventory'
  deploymentContainer: 'app-package'
  alerts: 'inventory-${token}'
}
var queueNames = [
  'inventory-tasks'
  'inventory-tasks-poison'
  'inventory-events'
]

resource rg 'Microsoft.Resources/resourceGroups@2024-11-01' = {
  name: names.resourceGroup
  location: location
  tags: tags
}

module identity 'app/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: names.identity
    location: location
    tags: tags
  }
}

module storage 'app/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: names.storage
    location: location
    tags: tags
    skuName: storageSkuName
    deploymentContainerName: names.deploymentContainer
    queueNames: queueNames
  }
}

module monitoring 'app/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: names.logAnalytics
    applicationInsightsName: names.applicationInsights
    location: location
    tags: tags
  }
}

module managedRedis 'app/redis-managed.bicep' = if (redisFlavor == 'managed') {
  name: 'redis-managed'
  scope: rg
  params: {
    name: names.redis
    location: location
    tags: tags
    skuName: redisManagedSku
    highAvailability: redisHighAvailability
    persistence: redisPersistence
  }
}

module cacheRedis 'app/redis-cache.bicep' = if (redisFlavor == 'cache') {
  name: 'redis-cache'
  scope: rg
  params: {
    name: names.redis
    location: location
    tags: tags
    skuName: redisCacheSku
    capacity: redisCacheCapacity
  }
}

// A signed-in user deploying administers Azure SQL and grants the app its database user afterwards
// (infra/scripts/sql-grant-identity.sql). Otherwise (no principal, or a pipeline's service principal) the app
// identity itself is the administrator; SQL identifies a service principal by its client ID.
var sqlAdminIsDeployer = !empty(principalId) && principalType == 'User'

module sql 'app/sql.bicep' = if (databaseProvider == 'sql') {
  name: 'sql'
  scope: rg
  params: {
    serverName: names.sqlServer
    databaseName: names.database
    location: location
    tags: tags
    adminSid: sqlAdminIsDeployer ? principalId : identity.outputs.clientId
    adminLogin: sqlAdminIsDeployer ? (empty(principalLogin) ? 'deployer' : principalLogin) : identity.outputs.name
    adminPrincipalType: sqlAdminIsDeployer ? 'User' : 'Application'
    skuName: sqlSkuName
    skuTier: sqlSkuTier
    maxSizeGB: sqlMaxSizeGB
  }
}

module postgres 'app/postgres.bicep' = if (databaseProvider == 'postgres') {
  name: 'postgres'
  scope: rg
  params: {
    serverName: names.postgres
    databaseName: names.database
    location: location
    tags: tags
    skuName: postgresSkuName
    skuTier: postgresSkuTier
    storageSizeGB: postgresStorageSizeGB
  }
}

var redisHostName = redisFlavor == 'managed' ? managedRedis!.outputs.hostName : cacheRedis!.outputs.hostName
var redisPort = redisFlavor == 'managed' ? managedRedis!.outputs.port : cacheRedis!.outputs.port

// No passwords anywhere: SqlClient signs in with the identity named by User Id; Npgsql gets an Entra token as the
// role named after the identity.
var sqlConnectionString = databaseProvider == 'sql'
  ? 'Server=tcp:${sql!.outputs.fullyQualifiedDomainName},1433;Database=${sql!.outputs.databaseName};Authentication=Active Directory Default;User Id=${identity.outputs.clientId};Encrypt=True;Connect Timeout=30'
  : 'Host=${postgres!.outputs.fullyQualifiedDomainName};Port=5432;Database=${postgres!.outputs.databaseName};Username=${identity.outputs.name};Ssl Mode=Require'

module functionApp 'app/function.bicep' = {
  name: 'function-app'
  scope: rg
  params: {
    name: names.functionApp
    planName: names.plan
    location: location
    tags: tags
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerName: storage.outputs.deploymentContainerName
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    instanceMemoryMB: functionInstanceMemoryMB
    maximumInstanceCount: functionMaximumInstanceCount
    alwaysReadyHttpInstances: functionAlwaysReadyHttpInstances
    redisConfiguration: '${redisHostName}:${redisPort},ssl=true,abortConnect=false'
    sqlProvider: databaseProvider == 'sql' ? 'sqlserver' : 'postgres'
    sqlConnectionString: sqlConnectionString
    taskShardCount: taskShardCount
    redisPartitions: redisPartitions
    hotSkuEnabled: hotSkuEnabled
    timerSchedules: timerSchedules
  }
  // The host starts as soon as the site exists: let its grants land first.
  dependsOn: [
    rbac
  ]
}

module rbac 'app/rbac.bicep' = {
  name: 'rbac'
  scope: rg
  params: {
    appPrincipalId: identity.outputs.principalId
    appIdentityName: identity.outputs.name
    deployerPrincipalId: principalId
    deployerPrincipalType: principalType
    deployerLogin: principalLogin
    storageAccountName: storage.outputs.name
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    redisFlavor: redisFlavor
    redisName: redisFlavor == 'managed' ? managedRedis!.outputs.name : cacheRedis!.outputs.name
    databaseProvider: databaseProvider
    postgresServerName: databaseProvider == 'postgres' ? postgres!.outputs.serverName : ''
  }
}

module workbook 'app/workbook.bicep' = {
  name: 'workbook'
  scope: rg
  params: {
    location: location
    tags: tags
    applicationInsightsName: monitoring.outputs.applicationInsightsName
  }
}

module alerts 'app/alerts.bicep' = {
  name: 'alerts'
  scope: rg
  params: {
    location: location
    tags: tags
    applicationInsightsName: monitoring.outputs.applicationInsightsName
    namePrefix: names.alerts
    alertEmail: alertEmail
    oldestPendingTaskAgeThresholdSeconds: oldestPendingTaskAgeThresholdSeconds
    http5xxPercentThreshold: http5xxPercentThreshold
  }
}

// ---- Outputs (azd stores these in the environment; infra/scripts read them) ----

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = functionApp.outputs.name
@description('Base URL of the HTTP API (routes live under /api).')
output AZURE_FUNCTION_APP_URL string = 'https://${functionApp.outputs.defaultHostName}/api'
output AZURE_USER_ASSIGNED_IDENTITY_NAME string = identity.outputs.name
output AZURE_USER_ASSIGNED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AZURE_USER_ASSIGNED_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output APPLICATIONINSIGHTS_NAME string = monitoring.outputs.applicationInsightsName
output REDIS_FLAVOR string = redisFlavor
output REDIS_HOST_NAME string = redisHostName
output DATABASE_PROVIDER string = databaseProvider
output AZURE_SQL_SERVER_NAME string = databaseProvider == 'sql' ? sql!.outputs.serverName : ''
output AZURE_SQL_SERVER_FQDN string = databaseProvider == 'sql' ? sql!.outputs.fullyQualifiedDomainName : ''
output AZURE_SQL_ADMIN_IS_DEPLOYER bool = databaseProvider == 'sql' && sqlAdminIsDeployer
output AZURE_POSTGRES_SERVER_FQDN string = databaseProvider == 'postgres' ? postgres!.outputs.fullyQualifiedDomainName : ''
output AZURE_DATABASE_NAME string = names.database

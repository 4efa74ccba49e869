// The Inventory function app on Flex Consumption (FC1), dotnet-isolated 10.0, running as a user-assigned identity.
// App settings hold no secrets: storage, Redis, SQL and Application Insights are all reached with Entra tokens.

@description('Function app name.')
param name string

@description('Flex Consumption plan name.')
param planName string

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object

@description('azd service name this app is deployed as (matches azure.yaml).')
param serviceName string = 'api'

@description('Resource ID of the user-assigned identity the app runs as.')
param identityId string

@description('Client ID of that identity.')
param identityClientId string

@description('Storage account for the host and the task queues.')
param storageAccountName string

@description('Blob container holding the deployment package.')
param deploymentContainerName string

@description('Application Insights component the app reports to.')
param applicationInsightsName string

@description('Memory of each instance in MB.')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Upper bound on instances across the app.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Instances kept warm for the HTTP trigger group (0 = scale from zero, with cold starts).')
@minValue(0)
param alwaysReadyHttpInstances int = 1

@description('StackExchange.Redis configuration string: host:port,ssl=true,... (no password: the app authenticates with Entra).')
param redisConfiguration string

@description('SQL provider the app uses: sqlserver or postgres.')
@allowed([
  'sqlserver'
  'postgres'
])
param sqlProvider string

@description('Connection string without secrets (Entra authentication).')
param sqlConnectionString string

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
}

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' existing = {
  name: storageAccountName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-11-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource site 'Microsoft.Web/sites@2024-11-01' = {
  name: name
  location: location
  tags: union(tags, { 'azd-service-name': serviceName })
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    publicNetworkAccess: 'Enabled'
    siteConfig: {
      minTlsVersion: '1.2'
      http20Enabled: true
      // FUNCTIONS_WORKER_RUNTIME and FUNCTIONS_EXTENSION_VERSION are not app settings on Flex Consumption:
      // functionAppConfig.runtime below says dotnet-isolated 10.0.
      appSettings: [
        // Host storage by identity (no connection string, no key).
        { name: 'AzureWebJobsStorage__accountName', value: storage.name }
        { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
        { name: 'AzureWebJobsStorage__clientId', value: identityClientId }
        // DefaultAzureCredential in the worker (Redis and SQL tokens) picks this identity.
        { name: 'AZURE_CLIENT_ID', value: identityClientId }
        // The connection string locates the component; it is not a credential once local auth is off.
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsights.properties.ConnectionString }
        { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'ClientId=${identityClientId};Authorization=AAD' }
        { name: 'Inventory__Redis__Configuration', value: redisConfiguration }
        { name: 'Inventory__Redis__UseEntraId', value: 'true' }
        { name: 'Inventory__Redis__KeyPrefix', value: 'inv' }
        { name: 'Inventory__Redis__Partitions', value: string(redisPartitions) }
        { name: 'Inventory__Redis__TimeoutMilliseconds', value: '2000' }
        { name: 'Inventory__Redis__IdempotencyTtl', value: '1.00:00:00' }
        { name: 'Inventory__Redis__RecoverAfter', value: '00:00:30' }
        { name: 'Inventory__Sql__Provider', value: sqlProvider }
        { name: 'Inventory__Sql__ConnectionString', value: sqlConnectionString }
        { name: 'Inventory__Sql__TaskShards', value: string(taskShardCount) }
        { name: 'Inventory__HotSku__Enabled', value: hotSkuEnabled ? 'true' : 'false' }
        { name: 'Inventory__HotSku__PermitsPerWindow', value: '50' }
        { name: 'Inventory__HotSku__WindowMilliseconds', value: '10' }
        { name: 'Inventory__HotSku__QueueLimit', value: '200' }
        { name: 'Inventory__Wakeup__IntervalMilliseconds', value: '200' }
        { name: 'TaskDispatchSchedule', value: timerSchedules.taskDispatch }
        { name: 'StaleLeaseSchedule', value: timerSchedules.staleLease }
        { name: 'JournalSweepSchedule', value: timerSchedules.journalSweep }
        { name: 'TaskPruneSchedule', value: timerSchedules.taskPrune }
        { name: 'OrderRecoverySchedule', value: timerSchedules.orderRecovery }
        { name: 'HoldExpirySchedule', value: timerSchedules.holdExpiry }
        { name: 'PoisonRedriveSchedule', value: timerSchedules.poisonRedrive }
        { name: 'ReconcileSchedule', value: timerSchedules.reconcile }
      ]
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        instanceMemoryMB: instanceMemoryMB
        maximumInstanceCount: maximumInstanceCount
        alwaysReady: alwaysReadyHttpInstances > 0
          ? [
              {
                name: 'http'
                instanceCount: alwaysReadyHttpInstances
              }
            ]
          : []
      }
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }
}

// No publishing with user names and passwords: azd deploys with the signed-in Entra identity.
resource scmBasicAuth 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-11-01' = {
  parent: site
  name: 'scm'
  properties: {
    allow: false
  }
}

output name string = site.name
output defaultHostName string = site.properties.defaultHostName
output planName string = plan.name

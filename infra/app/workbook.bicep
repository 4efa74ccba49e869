// Azure Monitor workbook over the inventory's custom metrics (customMetrics in Application Insights).
// Metric names are the ones the app's System.Diagnostics.Metrics meter publishes.

@description('Azure region.')
param location string

@description('Tags for every resource.')
param tags object

@description('Application Insights component the charts query.')
param applicationInsightsName string

@description('Title shown in the portal.')
param displayName string = 'Inventory operations'

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: applicationInsightsName
}

// kind: counter (summed per time bin), histogram (mean and max per bin), gauge (largest value per bin of each
// dimension set, added up per series: instances reporting the same shard are not counted twice).
// split: the dimension charted as separate series ('' for none).
var charts = [
  { metric: 'inventory.deductions.accepted', title: 'Deductions accepted', kind: 'counter', split: '' }
  { metric: 'inventory.deductions.rejected', title: 'Deductions rejected, by reason', kind: 'counter', split: 'reason' }
  { metric: 'inventory.throttled', title: 'Throttled requests (429)', kind: 'counter', split: '' }
  { metric: 'inventory.replays', title: 'Idempotent replays', kind: 'counter', split: '' }
  { metric: 'inventory.redis.latency', title: 'Redis round-trip latency (ms)', kind: 'histogram', split: '' }
  { metric: 'inventory.tasks.backlog', title: 'Task backlog, by status', kind: 'gauge', split: 'status' }
  { metric: 'inventory.tasks.retries', title: 'Task retries', kind: 'counter', split: '' }
  { metric: 'inventory.tasks.dead', title: 'Dead tasks', kind: 'counter', split: '' }
  { metric: 'inventory.journal.recovered', title: 'Journal sweep recoveries', kind: 'counter', split: '' }
  { metric: 'inventory.persistence.lag', title: 'Persistence lag, Redis to SQL (ms)', kind: 'histogram', split: '' }
  { metric: 'inventory.drift', title: 'Drift between Redis and SQL', kind: 'gauge', split: '' }
]

func splitExpression(split string) string => empty(split) ? '\'all\'' : 'tostring(customDimensions[\'${split}\'])'

func chartQuery(metric string, kind string, split string) string =>
  kind == 'counter'
    ? 'customMetrics\n| where name == \'${metric}\'\n| extend series = ${splitExpression(split)}\n| summarize value = sum(valueSum) by bin(timestamp, {TimeRange:grain}), series\n| render timechart'
    : kind == 'histogram'
        ? 'customMetrics\n| where name == \'${metric}\'\n| summarize mean = sum(valueSum) / sum(valueCount), max = max(valueMax) by bin(timestamp, {TimeRange:grain})\n| render timechart'
        : 'customMetrics\n| where name == \'${metric}\'\n| extend series = ${splitExpression(split)}, dimensions = tostring(customDimensions)\n| summarize value = max(value) by bin(timestamp, {TimeRange:grain}), series, dimensions\n| summarize value = sum(value) by timestamp, series\n| render timechart'

var header = {
  type: 1
  name: 'header'
  content: {
    json: '## Inventory\nDeductions, throttling and replays from the HTTP path; the task engine\'s backlog, retries and dead tasks; the journal sweep; persistence lag and drift between Redis and SQL. Alert rules: dead tasks, oldest pending task age, 5xx rate, Redis errors.'
  }
}

var timeRange = {
  type: 9
  name: 'parameters'
  content: {
    version: 'KqlParameterItem/1.0'
    parameters: [
      {
        id: 'c4b1d6a2-8a5e-4f0a-9a39-0d3b2f1c7e10'
        version: 'KqlParameterItem/1.0'
        name: 'TimeRange'
        label: 'Time range'
        type: 4
        isRequired: true
        value: {
          durationMs: 3600000
        }
        typeSettings: {
          selectableValues: [
            { durationMs: 900000 }
            { durationMs: 3600000 }
            { durationMs: 14400000 }
            { durationMs: 86400000 }
            { durationMs: 604800000 }
          ]
        }
      }
    ]
  }
}

var chartItems = [
  for chart in charts: {
    type: 3
    name: chart.metric
    customWidth: '50'
    content: {
      version: 'KqlItem/1.0'
      title: chart.title
      query: chartQuery(chart.metric, chart.kind, chart.split)
      size: 0
      queryType: 0
      resourceType: 'microsoft.insights/components'
      timeContextFromParameter: 'TimeRange'
      visualization: 'timechart'
    }
  }
]

var workbook = {
  version: 'Notebook/1.0'
  items: concat([header, timeRange], chartItems)
  fallbackResourceIds: [
    appInsights.id
  ]
  '$schema': 'https://github.com/Microsoft/Application-Insights-Workbooks/blob/master/schema/workbook.json'
}

resource inventoryWorkbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  name: guid(resourceGroup().id, appInsights.id, 'inventory-workbook')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: displayName
    category: 'workbook'
    sourceId: appInsights.id
    serializedData: string(workbook)
  }
}

output id string = inventoryWorkbook.id
output metricNames string[] = [for chart in charts: chart.metric]

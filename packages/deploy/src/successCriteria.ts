// The rollout guide's success criteria as CloudWatch metrics, alarms and a dashboard. The metrics come
// from the function's own log lines (the guide checks "CloudWatch logs: fill_percentage"): every execution
// ends with one `Execution completed` JSON line carrying execution_strategy, fill_percentage,
// execution_time_seconds and market_fallback_used; metric filters turn the Almgren–Chriss ones into
// numbers. Lambda errors and throttles and the dead-letter queue come from AWS's own metrics.
import { Duration } from 'aws-cdk-lib'
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch'
import type * as lambda from 'aws-cdk-lib/aws-lambda'
import * as logs from 'aws-cdk-lib/aws-logs'
import type * as sqs from 'aws-cdk-lib/aws-sqs'
import type { Construct } from 'constructs'
import type { AlarmThresholds } from './environments.js'

/** The summary line of an Almgren–Chriss execution (pino's message key is `msg`). */
const AC_COMPLETED = '$.msg = "Execution completed" && $.execution_strategy = "almgren_chriss"'

export interface SuccessCriteriaProps {
  readonly prefix: string
  readonly logGroup: logs.ILogGroup
  readonly fn: lambda.IFunction
  readonly deadLetterQueue: sqs.IQueue
  readonly thresholds: AlarmThresholds
}

export interface SuccessCriteria {
  readonly alarms: readonly cloudwatch.Alarm[]
  readonly dashboard: cloudwatch.Dashboard
}

export function successCriteria(scope: Construct, props: SuccessCriteriaProps): SuccessCriteria {
  const { prefix, logGroup, fn, deadLetterQueue, thresholds: t } = props
  const namespace = `acx/${prefix}`
  const period = Duration.minutes(t.periodMinutes)
  const fromLogs = (id: string, metricName: string, pattern: string, metricValue: string, statistic: string) =>
    new logs.MetricFilter(scope, id, {
      logGroup,
      metricNamespace: namespace,
      metricName,
      filterPattern: logs.FilterPattern.literal(`{ ${pattern} }`),
      metricValue,
    }).metric({ statistic, period })

  const fill = fromLogs('FillPercentFilter', 'AcFillPercent', AC_COMPLETED, '$.fill_percentage', 'Average')
  const seconds = fromLogs(
    'ExecutionSecondsFilter',
    'AcExecutionSeconds',
    AC_COMPLETED,
    '$.execution_time_seconds',
    'Average',
  )
  const executions = fromLogs('ExecutionsFilter', 'AcExecutions', AC_COMPLETED, '1', 'Sum')
  const fallbacks = fromLogs(
    'FallbacksFilter',
    'AcMarketFallbacks',
    `${AC_COMPLETED} && $.market_fallback_used IS TRUE`,
    '1',
    'Sum',
  )
  const fallbackRate = new cloudwatch.MathExpression({
    expression: 'IF(executions > 0, 100 * FILL(fallbacks, 0) / executions, 0)',
    usingMetrics: { executions, fallbacks },
    label: 'market fallback rate (%)',
    period,
  })
  const [minMinutes, maxMinutes] = t.executionMinutes

  const alarm = (
    id: string,
    description: string,
    props: Omit<cloudwatch.AlarmProps, 'alarmName' | 'alarmDescription'>,
  ) =>
    new cloudwatch.Alarm(scope, id, {
      alarmName: `${prefix}-${id}`,
      alarmDescription: description,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      ...props,
    })
  const alarms = [
    alarm('fill-rate', `Almgren–Chriss fill rate below ${t.minFillPercent} % (rollout guide: > 95 %)`, {
      metric: fill,
      threshold: t.minFillPercent,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
    }),
    alarm('execution-time-high', `Average Almgren–Chriss execution longer than ${maxMinutes} min (guide: 5–10 min)`, {
      metric: seconds,
      threshold: maxMinutes * 60,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    }),
    alarm('execution-time-low', `Average Almgren–Chriss execution shorter than ${minMinutes} min (guide: 5–10 min)`, {
      metric: seconds,
      threshold: minMinutes * 60,
      comparisonOperator: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
      evaluationPeriods: 1,
    }),
    alarm(
      'fallback-rate',
      `More than ${t.maxFallbackPercent} % of Almgren–Chriss executions fell back to a market order`,
      {
        metric: fallbackRate,
        threshold: t.maxFallbackPercent,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
      },
    ),
    alarm('dead-letters', 'An intent reached the dead-letter queue: read it and its log line (runbook)', {
      metric: deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        statistic: 'Maximum',
        period: Duration.minutes(1),
      }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    }),
    alarm('lambda-errors', 'The executor function failed (an invocation threw, or timed out)', {
      metric: fn.metricErrors({ statistic: 'Sum', period: Duration.minutes(5) }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    }),
    alarm('lambda-throttles', 'The executor function was throttled (reserved concurrency reached)', {
      metric: fn.metricThrottles({ statistic: 'Sum', period: Duration.minutes(5) }),
      threshold: 0,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: 1,
    }),
  ]

  const dashboard = new cloudwatch.Dashboard(scope, 'Dashboard', { dashboardName: `${prefix}-rollout` })
  const line = (title: string, metric: cloudwatch.IMetric, value: number, label: string) =>
    new cloudwatch.GraphWidget({
      title,
      left: [metric],
      leftAnnotations: [{ value, label }],
      width: 8,
    })
  dashboard.addWidgets(
    line('Fill rate, Almgren–Chriss (%)', fill, t.minFillPercent, `target > ${t.minFillPercent}`),
    new cloudwatch.GraphWidget({
      title: 'Average execution time, Almgren–Chriss (s)',
      left: [seconds],
      leftAnnotations: [
        { value: minMinutes * 60, label: `${minMinutes} min` },
        { value: maxMinutes * 60, label: `${maxMinutes} min` },
      ],
      width: 8,
    }),
    line('Market fallback rate (%)', fallbackRate, t.maxFallbackPercent, `target < ${t.maxFallbackPercent}`),
  )
  dashboard.addWidgets(
    new cloudwatch.GraphWidget({ title: 'Almgren–Chriss executions', left: [executions, fallbacks], width: 8 }),
    new cloudwatch.GraphWidget({
      title: 'Executor: errors, throttles, dead letters',
      left: [fn.metricErrors(), fn.metricThrottles(), deadLetterQueue.metricApproximateNumberOfMessagesVisible()],
      width: 8,
    }),
    new cloudwatch.AlarmStatusWidget({ title: 'Success criteria', alarms, width: 8 }),
  )
  dashboard.addWidgets(
    new cloudwatch.LogQueryWidget({
      title: 'Executions by symbol (the rollout guide query)',
      logGroupNames: [logGroup.logGroupName],
      queryLines: [
        'fields @timestamp, symbol, execution_strategy, route_reason, total_filled, avg_fill_price, fill_percentage, execution_time_seconds',
        'filter msg = "Execution completed"',
        'stats count() as executions, avg(fill_percentage) as avg_fill_rate, avg(execution_time_seconds) as avg_time by symbol, execution_strategy',
        'sort avg_fill_rate desc',
      ],
      width: 24,
    }),
  )
  return { alarms, dashboard }
}

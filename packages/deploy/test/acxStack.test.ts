import { App } from 'aws-cdk-lib'
import { Match, Template } from 'aws-cdk-lib/assertions'
import { beforeAll, describe, expect, it } from 'vitest'
import { DYNAMO_TTL_ATTRIBUTE, dynamoTableDefinition } from '@acx/service'
import { addEnvironmentStack } from '../src/app.js'
import { ENVIRONMENTS, type EnvironmentConfig } from '../src/environments.js'

/** Synthesizes one environment's stack (as `cdk synth -c env=NAME` does) and returns its template. */
function synth(name: string, environments: Readonly<Record<string, EnvironmentConfig>> = ENVIRONMENTS) {
  const app = new App({ context: { env: name } })
  const stack = addEnvironmentStack(app, environments)
  return { stack, template: Template.fromStack(stack) }
}

type Statement = { Action: string | string[]; Resource: unknown; Effect: string }

describe('the dev stack', () => {
  let template: Template
  let json: { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> }
  const only = (type: string) => Object.values(json.Resources).filter((r) => r.Type === type)
  beforeAll(() => {
    template = synth('dev').template
    json = template.toJSON() as typeof json
  }, 60_000)

  it('has the table of `acx dynamodb create-table`, with point-in-time recovery and the TTL attribute', () => {
    const definition = dynamoTableDefinition('acx-dev-executions')
    template.resourceCountIs('AWS::DynamoDB::Table', 1)
    const [table] = only('AWS::DynamoDB::Table')
    const p = table!.Properties
    expect(p.TableName).toBe('acx-dev-executions')
    expect(p.BillingMode).toBe(definition.BillingMode)
    expect(p.KeySchema).toEqual(definition.KeySchema)
    expect(new Set(p.AttributeDefinitions as unknown[])).toEqual(new Set(definition.AttributeDefinitions))
    expect(p.GlobalSecondaryIndexes).toEqual(definition.GlobalSecondaryIndexes)
    expect(p.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true })
    expect(p.TimeToLiveSpecification).toEqual({ AttributeName: DYNAMO_TTL_ATTRIBUTE, Enabled: true })
  })

  it('has the intake queue redriving to a dead-letter queue after N receives, both encrypted', () => {
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'acx-dev-intents',
      // six times the function timeout (AWS's advice for an event source)
      VisibilityTimeout: 6 * 700,
      RedrivePolicy: {
        deadLetterTargetArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('IntentsDlq'), 'Arn'] },
        maxReceiveCount: ENVIRONMENTS.dev.maxReceiveCount,
      },
      SqsManagedSseEnabled: true,
    })
    template.hasResourceProperties('AWS::SQS::Queue', {
      QueueName: 'acx-dev-intents-dlq',
      MessageRetentionPeriod: 14 * 86_400,
      SqsManagedSseEnabled: true,
    })
  })

  it('runs the bundle on Node 24 with a timeout of the longest execution plus margins, and partial batch responses', () => {
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'acx-dev-executor',
      Runtime: 'nodejs24.x',
      Handler: 'index.handler',
      Architectures: ['arm64'],
      // AC_MAX_HORIZON_SECONDS 600 (the participation cap may stretch AC_TOTAL_TIME_SECONDS 300 to it) +
      // cancel confirmation 30 + market fallback 30 + handler 10 + margin 30
      Timeout: 700,
      ReservedConcurrentExecutions: ENVIRONMENTS.dev.reservedConcurrency,
      MemorySize: 512,
    })
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      BatchSize: ENVIRONMENTS.dev.batchSize,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: ENVIRONMENTS.dev.reservedConcurrency },
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('^Intents'), 'Arn'] },
    })
  })

  it('gives the function its settings and the secret ARN, never a key', () => {
    const [fn] = only('AWS::Lambda::Function')
    const env = (fn!.Properties.Environment as { Variables: Record<string, unknown> }).Variables
    expect(env).toMatchObject({
      ...ENVIRONMENTS.dev.settings,
      ACX_STORE: 'dynamodb',
      ACX_BROKER: 'alpaca',
      ACX_DYNAMODB_TABLE: { Ref: expect.stringMatching(/^Executions/) },
      ACX_ALPACA_SECRET_ARN: { Ref: expect.stringMatching(/^AlpacaKeys/) },
    })
    expect(Object.keys(env).filter((k) => /KEY|TOKEN/.test(k))).toEqual([])
    // the secret is created empty (a generated placeholder): its value is never in the template
    template.hasResourceProperties('AWS::SecretsManager::Secret', {
      Name: 'acx-dev/alpaca',
      SecretString: Match.absent(),
    })
  })

  it('lets the function touch only its log group, table and indexes, queue and secret', () => {
    template.resourceCountIs('AWS::IAM::Role', 1)
    const [role] = only('AWS::IAM::Role')
    expect(role!.Properties.ManagedPolicyArns).toBeUndefined()
    const statements = only('AWS::IAM::Policy').flatMap(
      (p) => (p.Properties.PolicyDocument as { Statement: Statement[] }).Statement,
    )
    const ref = (r: unknown) => JSON.stringify(r)
    const grants = statements.map((s) => ({
      actions: [s.Action].flat().sort(),
      resources: [s.Resource].flat().map(ref).sort(),
    }))
    expect(statements.every((s) => s.Effect === 'Allow')).toBe(true)
    expect(grants).toEqual(
      expect.arrayContaining([
        {
          actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          resources: [expect.stringMatching(/^\{"Fn::GetAtt":\["ExecutorLogs/)],
        },
        {
          actions: [
            'dynamodb:DeleteItem',
            'dynamodb:GetItem',
            'dynamodb:PutItem',
            'dynamodb:Query',
            'dynamodb:UpdateItem',
          ],
          resources: [
            expect.stringMatching(/^\{"Fn::GetAtt":\["Executions/),
            expect.stringMatching(/Executions.*index\/\*/),
          ],
        },
        { actions: ['secretsmanager:GetSecretValue'], resources: [expect.stringMatching(/^\{"Ref":"AlpacaKeys/)] },
        {
          actions: [
            'sqs:ChangeMessageVisibility',
            'sqs:DeleteMessage',
            'sqs:GetQueueAttributes',
            'sqs:GetQueueUrl',
            'sqs:ReceiveMessage',
          ],
          resources: [expect.stringMatching(/^\{"Fn::GetAtt":\["Intents[0-9A-F]+","Arn"\]\}$/)],
        },
      ]),
    )
    expect(grants).toHaveLength(4)
    // no wildcard resource, and no action outside the four services
    expect(grants.flatMap((g) => g.resources).filter((r) => r === '"*"')).toEqual([])
    expect(grants.flatMap((g) => g.actions).filter((a) => !/^(logs|dynamodb|secretsmanager|sqs):/.test(a))).toEqual([])
  })

  it('alarms on the rollout guide success criteria, Lambda errors and throttles, and any dead letter', () => {
    const alarms = Object.fromEntries(
      only('AWS::CloudWatch::Alarm').map((a) => [
        (a.Properties.AlarmName as string).replace('acx-dev-', ''),
        [a.Properties.ComparisonOperator, a.Properties.Threshold],
      ]),
    )
    expect(alarms).toEqual({
      'fill-rate': ['LessThanThreshold', 95],
      'execution-time-high': ['GreaterThanThreshold', 600],
      'execution-time-low': ['LessThanThreshold', 300],
      'fallback-rate': ['GreaterThanThreshold', 10],
      'dead-letters': ['GreaterThanThreshold', 0],
      'lambda-errors': ['GreaterThanThreshold', 0],
      'lambda-throttles': ['GreaterThanThreshold', 0],
    })
    // the criteria come from the Almgren–Chriss summary lines of the function's log
    const filters = only('AWS::Logs::MetricFilter').map((f) => [
      f.Properties.FilterPattern,
      (f.Properties.MetricTransformations as { MetricName: string; MetricValue: string }[]).map((m) => [
        m.MetricName,
        m.MetricValue,
      ]),
    ])
    const ac = '{ $.msg = "Execution completed" && $.execution_strategy = "almgren_chriss" }'
    expect(filters).toEqual(
      expect.arrayContaining([
        [ac, [['AcFillPercent', '$.fill_percentage']]],
        [ac, [['AcExecutionSeconds', '$.execution_time_seconds']]],
        [ac, [['AcExecutions', '1']]],
        [
          '{ $.msg = "Execution completed" && $.execution_strategy = "almgren_chriss" && $.market_fallback_used IS TRUE }',
          [['AcMarketFallbacks', '1']],
        ],
      ]),
    )
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: 'acx-dev-fallback-rate',
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: 'IF(executions > 0, 100 * FILL(fallbacks, 0) / executions, 0)' }),
      ]),
    })
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1)
    for (const a of only('AWS::CloudWatch::Alarm')) expect(a.Properties.AlarmActions).toHaveLength(1)
  })

  it('keeps nothing in dev that prod protects', () => {
    template.hasResource('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' })
  })
})

describe('the prod stack', { timeout: 60_000 }, () => {
  it('has its own settings (the rollout split) and protects its data', () => {
    const { template } = synth('prod')
    template.hasResourceProperties('AWS::Lambda::Function', {
      FunctionName: 'acx-prod-executor',
      Environment: {
        Variables: Match.objectLike({
          ROUTE_MEDIUM: 'almgren_chriss:20,walk_the_book:80',
          APCA_API_BASE_URL: 'https://api.alpaca.markets',
        }),
      },
      ReservedConcurrentExecutions: 10,
    })
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
    })
    template.hasResource('AWS::SecretsManager::Secret', { DeletionPolicy: 'Retain' })
  })

  it('uses an existing secret when the environment names one, granting only it', () => {
    const arn = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:trading/alpaca-live-AbCdEf'
    const { template } = synth('prod', { prod: { ...ENVIRONMENTS.prod, alpacaSecretArn: arn } })
    template.resourceCountIs('AWS::SecretsManager::Secret', 0)
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: { Variables: Match.objectLike({ ACX_ALPACA_SECRET_ARN: arn }) },
    })
    template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: {
        Statement: Match.arrayWith([{ Action: 'secretsmanager:GetSecretValue', Effect: 'Allow', Resource: arn }]),
      },
    })
  })
})

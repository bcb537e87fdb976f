// One environment of acx on AWS, as the system it replaces runs: intents arrive on SQS, a Lambda executes
// them, DynamoDB remembers them, CloudWatch watches the rollout guide's success criteria.
import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib'
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch'
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions'
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb'
import * as iam from 'aws-cdk-lib/aws-iam'
import * as lambda from 'aws-cdk-lib/aws-lambda'
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources'
import * as logs from 'aws-cdk-lib/aws-logs'
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager'
import * as sns from 'aws-cdk-lib/aws-sns'
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions'
import * as sqs from 'aws-cdk-lib/aws-sqs'
import type { Construct } from 'constructs'
import { DYNAMO_TTL_ATTRIBUTE, dynamoTableDefinition } from '@acx/service'
import type { EnvironmentConfig } from './environments.js'
import { checkSettings, functionEnvironment } from './settings.js'
import { successCriteria } from './successCriteria.js'

export interface AcxStackProps extends StackProps {
  /** `dev`, `prod`: names every resource (`acx-dev-…`). */
  readonly environment: string
  readonly config: EnvironmentConfig
  /** The folder holding the bundle's `index.mjs` (packages/service/build/lambda). */
  readonly lambdaBundleDir: string
}

/** DynamoDB actions the store uses (packages/service README, "IAM permissions"); nothing else. */
const STORE_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:Query',
] as const

/** The longest a queue can hide a message, seconds (SQS's limit, 12 hours). */
const MAX_VISIBILITY_SECONDS = 43_200

/** The store's table from the definition `acx dynamodb create-table` uses, so the two cannot drift. */
function tableFrom(scope: Construct, name: string, config: EnvironmentConfig): dynamodb.Table {
  const definition = dynamoTableDefinition(name)
  const attribute = (attributeName: string): dynamodb.Attribute => {
    const type = definition.AttributeDefinitions?.find((a) => a.AttributeName === attributeName)?.AttributeType
    if (type !== 'S') throw new Error(`table definition: ${attributeName} is not a string key`)
    return { name: attributeName, type: dynamodb.AttributeType.STRING }
  }
  const keyOf = (schema: readonly { AttributeName?: string; KeyType?: string }[] | undefined, kind: string) => {
    const key = schema?.find((k) => k.KeyType === kind)?.AttributeName
    if (key === undefined) throw new Error(`table definition: no ${kind} key`)
    return attribute(key)
  }
  const table = new dynamodb.Table(scope, 'Executions', {
    tableName: name,
    partitionKey: keyOf(definition.KeySchema, 'HASH'),
    sortKey: keyOf(definition.KeySchema, 'RANGE'),
    billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
    pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
    timeToLiveAttribute: DYNAMO_TTL_ATTRIBUTE,
    deletionProtection: config.protectData,
    removalPolicy: config.protectData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
  })
  for (const index of definition.GlobalSecondaryIndexes ?? []) {
    if (index.Projection?.ProjectionType !== 'ALL')
      throw new Error(`table definition: ${index.IndexName} must project ALL`)
    table.addGlobalSecondaryIndex({
      indexName: index.IndexName!,
      partitionKey: keyOf(index.KeySchema, 'HASH'),
      sortKey: keyOf(index.KeySchema, 'RANGE'),
      projectionType: dynamodb.ProjectionType.ALL,
    })
  }
  return table
}

export class AcxStack extends Stack {
  readonly table: dynamodb.Table
  readonly queue: sqs.Queue
  readonly deadLetterQueue: sqs.Queue
  readonly fn: lambda.Function
  readonly secret: secretsmanager.ISecret
  readonly alarms: readonly cloudwatch.IAlarm[]

  constructor(scope: Construct, id: string, props: AcxStackProps) {
    super(scope, id, props)
    const { environment: env, config } = props
    const prefix = `acx-${env}`
    // refuses, before any resource exists, settings the service would refuse or a run Lambda cannot hold
    const { timeoutSeconds } = checkSettings(env, config.settings, config)

    this.table = tableFrom(this, `${prefix}-executions`, config)

    this.deadLetterQueue = new sqs.Queue(this, 'IntentsDlq', {
      queueName: `${prefix}-intents-dlq`,
      // the longest SQS keeps anything: time to read each refused intent, its attributes as sent
      retentionPeriod: Duration.days(14),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
    })
    this.queue = new sqs.Queue(this, 'Intents', {
      queueName: `${prefix}-intents`,
      // AWS's advice for a Lambda event source: six times the function timeout
      visibilityTimeout: Duration.seconds(Math.min(6 * timeoutSeconds, MAX_VISIBILITY_SECONDS)),
      retentionPeriod: Duration.days(4),
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: config.maxReceiveCount },
    })

    this.secret = config.alpacaSecretArn
      ? secretsmanager.Secret.fromSecretCompleteArn(this, 'AlpacaKeys', config.alpacaSecretArn)
      : new secretsmanager.Secret(this, 'AlpacaKeys', {
          secretName: `${prefix}/alpaca`,
          description:
            'Alpaca keys for acx: put {"APCA_API_KEY_ID": "…", "APCA_API_SECRET_KEY": "…"} with aws secretsmanager put-secret-value',
          removalPolicy: config.protectData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
        })

    const logGroup = new logs.LogGroup(this, 'ExecutorLogs', {
      logGroupName: `/aws/lambda/${prefix}-executor`,
      retention: config.logRetentionDays as logs.RetentionDays,
      removalPolicy: RemovalPolicy.DESTROY,
    })

    // least privilege, written out: its logs, its table and indexes, its secret, its queue (the event source)
    const role = new iam.Role(this, 'ExecutorRole', {
      roleName: `${prefix}-executor`,
      assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com'),
      description: 'acx executor: its log group, table, intake queue and Alpaca secret; nothing else',
    })
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: ['logs:CreateLogStream', 'logs:PutLogEvents'],
        resources: [logGroup.logGroupArn],
      }),
    )
    role.addToPolicy(
      new iam.PolicyStatement({
        actions: [...STORE_ACTIONS],
        resources: [this.table.tableArn, `${this.table.tableArn}/index/*`],
      }),
    )
    role.addToPolicy(
      new iam.PolicyStatement({ actions: ['secretsmanager:GetSecretValue'], resources: [this.secret.secretArn] }),
    )

    this.fn = new lambda.Function(this, 'Executor', {
      functionName: `${prefix}-executor`,
      description: 'acx: executes order intents from the intake queue (packages/service build/lambda)',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      handler: 'index.handler',
      code: lambda.Code.fromAsset(props.lambdaBundleDir),
      memorySize: config.memoryMb,
      timeout: Duration.seconds(timeoutSeconds),
      reservedConcurrentExecutions: config.reservedConcurrency,
      role,
      logGroup,
      environment: functionEnvironment(config.settings, {
        tableName: this.table.tableName,
        secretArn: this.secret.secretArn,
      }),
    })
    this.fn.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: config.batchSize,
        reportBatchItemFailures: true,
        maxConcurrency: config.reservedConcurrency,
      }),
    )

    const topic = new sns.Topic(this, 'Alarms', { topicName: `${prefix}-alarms` })
    if (config.alarmEmail) topic.addSubscription(new subscriptions.EmailSubscription(config.alarmEmail))
    const criteria = successCriteria(this, {
      prefix,
      logGroup,
      fn: this.fn,
      deadLetterQueue: this.deadLetterQueue,
      thresholds: config.alarms,
    })
    for (const alarm of criteria.alarms) alarm.addAlarmAction(new cwActions.SnsAction(topic))
    this.alarms = criteria.alarms

    const outputs = {
      IntentsQueueUrl: this.queue.queueUrl,
      DeadLetterQueueUrl: this.deadLetterQueue.queueUrl,
      TableName: this.table.tableName,
      AlpacaSecretArn: this.secret.secretArn,
      FunctionName: this.fn.functionName,
      LogGroupName: logGroup.logGroupName,
      AlarmTopicArn: topic.topicArn,
      DashboardName: criteria.dashboard.dashboardName,
    }
    for (const [name, value] of Object.entries(outputs)) new CfnOutput(this, name, { value })
  }
}

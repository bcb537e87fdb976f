// `cdk synth -c env=dev` (cdk.json runs this file). See the README's "Deploy and roll out".
import { App } from 'aws-cdk-lib'
import { addEnvironmentStack } from '../src/app.js'

const app = new App()
addEnvironmentStack(app)
app.synth()

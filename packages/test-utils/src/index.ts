// Shared test support (private, never published): the fake Alpaca server, its documented payloads,
// and the BrokerPort contract suite every broker implementation runs.
export { FAKE_KEY_ID, FAKE_SECRET_KEY, startFakeAlpaca } from './alpaca/fakeAlpacaServer.js'
export type {
  FakeAlpacaOptions,
  FakeDailyBar,
  FakeAlpacaServer,
  FakeAsset,
  FakeFault,
  FakeFill,
  FakeKnobs,
  FakeQuote,
  FakeRequest,
  FakeRouteOutcome,
} from './alpaca/fakeAlpacaServer.js'
export type { FakeCalendarDay, FakeMarketHours } from './alpaca/fakeMarketHours.js'
export { readAlpacaFixture } from './alpaca/fixtures.js'
export { brokerPortContract } from './brokerPortContract.js'
export type {
  ContractFactory,
  ContractFault,
  ContractOperation,
  ContractOptions,
  ContractSubject,
  ContractVenue,
} from './brokerPortContract.js'

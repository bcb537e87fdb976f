export { dashboardAssets, dashboardSize } from './generated/assets.js'
export type { DashboardAsset } from './asset.js'

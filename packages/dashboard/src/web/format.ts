/** What the page shows for a missing value. */
const NONE = '–'

/** Bps as the API gives them (rounded to 0.01 there), positive = a cost to the trader. */
export const bpsText = (v: number | null | undefined): string => (v === null || v === undefined ? NONE : `${v} bps`)

/** A percentage as the API gives it. */
export const pctText = (v: number | null | undefined): string => (v === null || v === undefined ? NONE : `${v}%`)

/** A decimal string, an ISO time or anything else the API gave, as it gave it. */
export const text = (v: string | number | null | undefined): string =>
  v === null || v === undefined || v === '' ? NONE : String(v)

const wholeDollars = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD', maximumFractionDigits: 0 })
const centDollars = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  minimumFractionDigits: 2,
  maximumFractionDigits: 2,
})

/** Dollars computed in the page, to the cent. */
export const dollarsText = (v: number): string => (Number.isFinite(v) ? centDollars.format(v) : NONE)

/** Dollars on a chart's axis: whole dollars from $100 up. */
export const axisDollars = (v: number): string =>
  Number.isFinite(v) ? (Math.abs(v) >= 100 ? wholeDollars : centDollars).format(v) : NONE

/** An epoch-seconds time on a chart's axis: hh:mm:ss UTC. */
export const axisTime = (seconds: number): string => new Date(seconds * 1000).toISOString().slice(11, 19)

/** A computed bps figure, to 0.01 as the API rounds them. */
export const computedBps = (v: number): string => (Number.isFinite(v) ? `${Math.round(v * 100) / 100} bps` : NONE)

/** A model number (λ, κ) to 6 significant digits. */
export const sig = (v: number, digits = 6): string =>
  Number.isFinite(v) ? String(Number(v.toPrecision(digits))) : NONE

/** A fraction as a percentage to 0.01. */
export const fractionPct = (v: number): string => `${(Math.round(v * 10000) / 100).toFixed(2)}%`

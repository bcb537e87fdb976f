import { InvalidArgumentError } from 'commander'

const number =
  (rule: (x: number) => boolean, ruleText: string) =>
  (v: string): number => {
    const x = v.trim() === '' ? Number.NaN : Number(v)
    if (!Number.isFinite(x) || !rule(x)) throw new InvalidArgumentError(`the value must be ${ruleText}`)
    return x
  }
export const anyNumber = number(() => true, 'a number')
export const positiveInt = number((x) => Number.isInteger(x) && x >= 1, 'an integer ≥ 1')
export const nonNegativeInt = number((x) => Number.isInteger(x) && x >= 0, 'an integer ≥ 0')
export const positive = number((x) => x > 0, 'a number > 0')
export const nonNegative = number((x) => x >= 0, 'a number ≥ 0')

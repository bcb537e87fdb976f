export interface ReadmeBlock {
  /** The README line the block's code starts on (1-based: the line after the fence). */
  readonly line: number
  readonly code: string
}
export declare function runnableBlocks(markdown: string): ReadmeBlock[]
export declare function writeReadmeExamples(
  readme: string | URL,
): Array<{ readonly line: number; readonly file: string }>

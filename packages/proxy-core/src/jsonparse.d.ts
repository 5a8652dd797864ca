// jsonparse@1.3.1 ships no types. Only what jsonparse-parser.ts uses is declared, including the
// internal state fields it resets after a failed line (read from the 1.3.1 source; pinned there).
declare module 'jsonparse' {
  class Parser {
    constructor();
    write(buffer: Buffer): void;
    /** Called for every completed value, nested ones included; `this.stack.length === 0` at top level. */
    onValue: (this: Parser, value: unknown) => void;
    /** Throws by default; after an error the tokenizer sits in STOP and ignores input until reset. */
    onError: (this: Parser, error: Error) => void;
    tState: number;
    state: number;
    value: unknown;
    key: unknown;
    mode: number | undefined;
    stack: unknown[];
    string: string | undefined;
    stringBufferOffset: number;
    unicode: string | undefined;
    highSurrogate: number | undefined;
    bytes_remaining: number;
    bytes_in_sequence: number;
    static C: Readonly<Record<string, number>>;
  }
  export = Parser;
}

/**
 * The result of a finished async iteration, shared by the hand-written iterators on the stream path
 * (written out instead of as async generators, which cost promises and kept objects alive longer).
 */
export const DONE: IteratorReturnResult<undefined> = { done: true, value: undefined };

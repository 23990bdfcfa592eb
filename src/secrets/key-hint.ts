/** Keys shorter than this show no part of themselves: four characters would be too much of them. */
const MIN_LENGTH_FOR_HINT = 8;
const HINT_LENGTH = 4;

/**
 * The part of a provider API key that may be shown after it is stored (as OpenAI does): its last
 * four characters, or "" for a key too short to reveal any of it safely.
 */
export function keyHint(apiKey: string): string {
  const chars = Array.from(apiKey);
  return chars.length < MIN_LENGTH_FOR_HINT ? "" : chars.slice(-HINT_LENGTH).join("");
}

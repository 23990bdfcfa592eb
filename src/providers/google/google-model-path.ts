/**
 * The resource path of a model: `gemini-2.5-flash` and `models/gemini-2.5-flash` are both
 * `models/gemini-2.5-flash`; a tuned model (`tunedModels/x`) keeps its collection. The id is one
 * URL-encoded segment (`/` included), so a caller's model name cannot reach another path.
 */
export function googleModelPath(model: string): string {
  const match = /^(models|tunedModels)\/(.+)$/.exec(model);
  const collection = match?.[1] ?? "models";
  const id = match?.[2] ?? model;
  return `${collection}/${encodeURIComponent(id)}`;
}

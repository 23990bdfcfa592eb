import v8 from "node:v8";
import type { Logger } from "../logger.js";

/**
 * V8 heap settings that trade CPU for memory, applied by `serve` when SWITCHYARD_HEAP_TUNING is on
 * (off by default).
 *
 * A gateway allocates per request and keeps almost nothing, and V8's defaults let the old
 * generation grow to several times what is live before collecting it: measured with the gateway
 * benchmark's load on 2 cores, Switchyard's memory climbs from about 135 MB idle to 230-330 MB.
 * Collecting the old generation once it is 30% over what is live keeps it near 165-190 MB (about
 * 160 MB with the young generation capped too). Its CPU cost, measured on a quiet 2-vCPU machine
 * once streams stopped promoting their objects: 1-10% more per request (bench/README.md; noisier
 * runs before that gave anything from the noise to 45%). Throughput the hot path gives up, hence
 * off unless memory is what a deployment is short of.
 */
export const OLD_GENERATION_FLAG = "--heap-growing-percent=30";

/**
 * The young generation's cap (two 8 MB semi-spaces instead of 16). Node sizes the young generation
 * once, when the process starts: given to v8.setFlagsFromString later it changes nothing (measured:
 * still 32 MB), so it has to be on node's command line or in NODE_OPTIONS.
 */
export const YOUNG_GENERATION_FLAG = "--max-semi-space-size=8";

/** Above this, the young generation was not capped at start: loading the modules grows it to its maximum. */
const CAPPED_YOUNG_GENERATION_BYTES = 16 * 1024 * 1024;

export interface HeapTuningDeps {
  logger: Pick<Logger, "info" | "warn">;
  /** v8.setFlagsFromString, unless a test stands in. */
  setFlags?: (flag: string) => void;
  /** The young generation's size now (V8's new space); read once the modules are loaded. */
  youngGenerationBytes?: () => number;
}

export function tuneHeapForMemory(deps: HeapTuningDeps): void {
  const setFlags = deps.setFlags ?? ((flag: string) => v8.setFlagsFromString(flag));
  setFlags(OLD_GENERATION_FLAG);
  const young = (deps.youngGenerationBytes ?? newSpaceBytes)();
  const youngMb = Math.round(young / (1024 * 1024));
  if (young > CAPPED_YOUNG_GENERATION_BYTES) {
    deps.logger.warn(
      { youngGenerationMb: youngMb },
      `SWITCHYARD_HEAP_TUNING: the old generation is collected at 30% over what is live, but Node sizes the young generation only at start; run node with ${YOUNG_GENERATION_FLAG} (e.g. NODE_OPTIONS=${YOUNG_GENERATION_FLAG}) to cap it too`,
    );
    return;
  }
  deps.logger.info(
    { youngGenerationMb: youngMb },
    "SWITCHYARD_HEAP_TUNING: heap tuned for memory (old generation collected at 30% over what is live)",
  );
}

function newSpaceBytes(): number {
  return v8.getHeapSpaceStatistics().find((space) => space.space_name === "new_space")?.space_size ?? 0;
}

import v8 from "node:v8";

/**
 * V8 heap settings that trade CPU for memory, applied by `serve` when SWITCHYARD_HEAP_TUNING is on
 * (off by default).
 *
 * A gateway allocates per request and keeps almost nothing, and V8's defaults let the old
 * generation grow to several times what is live before collecting it: measured with the gateway
 * benchmark's load on 2 cores, Switchyard's memory climbs from about 145 MB idle to 230-330 MB. A
 * smaller young generation and an old generation collected once it is 30% over what is live keep
 * it near 165-190 MB, but cost 10-45% more CPU per request (most of it in V8's GC threads), which
 * is throughput the hot path gives up; hence off unless memory is what a deployment is short of.
 */
export const SMALL_HEAP_FLAGS = ["--max-semi-space-size=8", "--heap-growing-percent=30"] as const;

export function tuneHeapForMemory(): void {
  for (const flag of SMALL_HEAP_FLAGS) v8.setFlagsFromString(flag);
}

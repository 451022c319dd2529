/**
 * Resident memory of this process and its child processes (bench helper). Eight jobs
 * finishing in one batch run eight ffmpeg encoders (~20 MB each); `Deno.memoryUsage()`
 * sees only this process and its workers.
 */

/** This process's children, read from /proc (Linux); none elsewhere. */
function children(pid: number): number[] {
  try {
    return [...Deno.readDirSync(`/proc/${pid}/task`)].flatMap((task) =>
      Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/children`).trim().split(/\s+/)
        .filter((p) => p !== "").map(Number)
    );
  } catch {
    return []; // not Linux, or the process is gone
  }
}

function rssBytes(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(Deno.readTextFileSync(`/proc/${pid}/status`))?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** RSS in bytes of this process plus its descendants. */
export function treeRss(): number {
  let total = Deno.memoryUsage().rss;
  const pending = children(Deno.pid);
  while (pending.length > 0) {
    const pid = pending.pop()!;
    total += rssBytes(pid);
    pending.push(...children(pid));
  }
  return total;
}

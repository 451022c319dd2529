/**
 * The Prometheus text exposition format (version 0.0.4), just the part Emerge
 * needs: counters, gauges and histograms with optional labels. No client library,
 * as the format is a few lines and the server stays dependency-light.
 */

/** Label names to values. */
export type Labels = Record<string, string>;

/** One metric family, rendered as HELP, TYPE and its samples. */
export interface Family {
  name: string;
  help: string;
  type: "counter" | "gauge" | "histogram";
  samples: { suffix?: string; labels?: Labels; value: number }[];
}

/** Upper bounds and counts of a histogram; `observe` adds one value. */
export class Histogram {
  readonly counts: number[];
  sum = 0;
  count = 0;

  /** `bounds`: ascending upper bounds; +Inf is implied. */
  constructor(readonly bounds: readonly number[]) {
    this.counts = bounds.map(() => 0);
  }

  observe(value: number): void {
    this.sum += value;
    this.count++;
    const i = this.bounds.findIndex((b) => value <= b);
    if (i >= 0) this.counts[i]!++;
  }

  /** The family's samples: cumulative buckets, sum and count. */
  samples(): Family["samples"] {
    let running = 0;
    const buckets = this.bounds.map((le, i) => {
      running += this.counts[i]!;
      return { suffix: "_bucket", labels: { le: String(le) }, value: running };
    });
    return [
      ...buckets,
      { suffix: "_bucket", labels: { le: "+Inf" }, value: this.count },
      { suffix: "_sum", value: this.sum },
      { suffix: "_count", value: this.count },
    ];
  }
}

/** Renders `families` as one exposition. */
export function render(families: readonly Family[]): string {
  const lines: string[] = [];
  for (const f of families) {
    lines.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      lines.push(`${f.name}${s.suffix ?? ""}${labels(s.labels)} ${format(s.value)}`);
    }
  }
  return lines.join("\n") + "\n";
}

function labels(l: Labels | undefined): string {
  if (!l || Object.keys(l).length === 0) return "";
  const parts = Object.entries(l).map(([k, v]) =>
    `${k}="${v.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`
  );
  return `{${parts.join(",")}}`;
}

function format(value: number): string {
  if (Number.isNaN(value)) return "NaN";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return String(value);
}

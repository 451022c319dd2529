/** Reads an MP4's streams with the system ffprobe (test helper). */

/** The streams ffprobe sees, or null when ffprobe is not installed. */
export async function probe(
  path: string,
): Promise<
  { codecs: string[]; width: number; height: number; pixFmt: string; duration: number } | null
> {
  let output: Deno.CommandOutput;
  try {
    output = await new Deno.Command("ffprobe", {
      args: ["-v", "error", "-show_streams", "-show_format", "-of", "json", path],
      stdout: "piped",
      stderr: "piped",
    }).output();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
  const info = JSON.parse(new TextDecoder().decode(output.stdout));
  const video = info.streams.find((s: { codec_type: string }) => s.codec_type === "video");
  return {
    codecs: info.streams.map((s: { codec_name: string }) => s.codec_name).sort(),
    width: video?.width ?? 0,
    height: video?.height ?? 0,
    pixFmt: video?.pix_fmt ?? "",
    duration: Number(info.format.duration),
  };
}

/** True when ffprobe runs; prints why a test is skipped otherwise. */
export async function hasFfprobe(): Promise<boolean> {
  try {
    await new Deno.Command("ffprobe", { args: ["-version"], stdout: "null", stderr: "null" })
      .output();
    return true;
  } catch {
    console.log("skipped: ffprobe is not installed (apt-get install ffmpeg)");
    return false;
  }
}

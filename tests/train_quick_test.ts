/**
 * `deno task train --quick` end to end, then parity: Debian's torch trains every
 * stage for a few steps, exports ONNX, samples and scores clips; the result is a pack
 * the engine loads, whose tokenizer gives the training's ids, and whose ONNX sampling
 * through the engine matches models/sample.py on the same checkpoint and noise.
 */
import assert from "node:assert/strict";
import { basename } from "node:path";
import { loadPack, type Pack } from "../core/pack/load.ts";
import { TORCH_INSTALL, torchMissing } from "../models/train.ts";
import { assertParity, python } from "./_parity.ts";

const decoder = new TextDecoder();
const missing = await torchMissing();
if (missing) console.log(`skipping train --quick: ${missing}; install with: ${TORCH_INSTALL}`);

Deno.test({
  name: "train --quick makes a valid pack that the engine samples exactly like PyTorch",
  ignore: missing !== null,
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async (t) => {
    const work = await Deno.makeTempDir({ prefix: "emerge-train-" });
    const out = `${work}/pack`;
    let pack: Pack | undefined;

    await t.step("training exports a pack with a scored model card", async () => {
      const run = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          "models/train.ts",
          "--quick",
          "--set",
          "text.steps=33",
          "--work",
          work,
          "--out",
          out,
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      const log = decoder.decode(run.stdout) + decoder.decode(run.stderr);
      assert.ok(run.success, `train --quick failed:\n${log.slice(-3000)}`);
      assert.match(log, /eval: adherence=[\d.]+ motion=[\d.]+ sync_frames=\S+ persistence=[\d.]+/);
      pack = await loadPack(out);
      assert.ok(pack.manifest.heldout.length >= 9, "at least 10 % of 90 combinations held out");
      const provenance = pack.manifest.provenance as {
        train_steps: Record<string, number>;
        audio_pitch_ceiling: number;
        lineage: { run: string; stages: string[]; steps: number }[];
      };
      assert.equal(provenance.train_steps.text, 33, "--set reached the text stage");
      for (const [stage, steps] of Object.entries(provenance.train_steps)) {
        assert.ok(steps > 0, `${stage} ran ${steps} steps`);
      }
      assert.ok(provenance.audio_pitch_ceiling >= 0 && provenance.audio_pitch_ceiling <= 1);
      // One run trained every network; export measured its denoiser's steps.
      const [only, ...more] = provenance.lineage;
      assert.deepEqual(more, []);
      assert.equal(only!.run, basename(work));
      assert.equal(only!.stages.length, 6);
      assert.equal(only!.steps, provenance.train_steps.dit);
      const card = await Deno.readTextFile(`${out}/MODEL_CARD.md`);
      assert.match(card, /## Measured quality[\s\S]*eval: adherence=/);
      assert.match(card, /Run by run, oldest first:\n {2}1\. run \S+ \(cpu .*\): text encoder, /);
    });

    await t.step("the pack's tokenizer gives the ids the training used", async () => {
      const prompt = "A Big red BALL bounces, with a high-pitched whistle; zebra";
      const trainingIds = JSON.parse(
        await python([
          "-c",
          `import sys; sys.path.insert(0, "models"); import world
from text import Tokenizer
print(Tokenizer(world.vocabulary()).encode(sys.argv[1], 32)[0])`,
          prompt,
        ]),
      );
      assert.deepEqual(pack!.tokenizer.encode(prompt).ids, trainingIds);
      assert.ok(trainingIds.includes(1), "the unknown word maps to [UNK]");
    });

    await t.step(
      "the time code tells a frame from its neighbour; old configs keep theirs",
      async () => {
        // Cosine similarity of the denoiser's time codes one video frame apart, for the
        // config this run trained and for the same config stored before the field existed.
        const [trained, legacy] = JSON.parse(
          await python([
            "-c",
            `import json, sys; sys.path.insert(0, "models")
import torch
from config import PackConfig
from dit import JointDiT
stored = json.load(open(sys.argv[1]))
old = {**stored, "dit": {k: v for k, v in stored["dit"].items() if k != "finest_time_period"}}
def alike(d):
    c = PackConfig.from_dict(d)
    codes = JointDiT(c.dit, c.geometry, c.text.width).time_code(torch.tensor([1.0, 1.0 + 1 / c.geometry.fps]), 64)
    return float(torch.nn.functional.cosine_similarity(codes[0], codes[1], dim=0))
print(json.dumps([alike(stored), alike(old)]))`,
            `${work}/config.json`,
          ]),
        );
        assert.ok(trained < 0.7, `codes one frame apart are ${trained} alike`);
        assert.ok(legacy > 0.95, `a config without the field got a finer code (${legacy})`);
      },
    );

    await t.step("a video token's time is the centre of the frames it covers", async () => {
      // With two latent frames a token (patch [2, 2, 2]) a token spans 4 video frames;
      // positions() once placed it as if it spanned 2, so its clicks' times were off.
      const off = JSON.parse(
        await python([
          "-c",
          `import json, sys; sys.path.insert(0, "models")
import torch
from config import PackConfig
from dit import JointDiT
c = PackConfig.from_dict(json.load(open(sys.argv[1])))
c.geometry.patch = (2, 2, 2)
m = JointDiT(c.dit, c.geometry, c.text.width)
video, _ = m.positions(torch.zeros(1, 1, 6, 4, 4), torch.zeros(1, 1, 50))
d, covered = c.dit.width, [4, 5, 6, 7]  # token row 16: second in time, first in place
want = m.time_code(torch.tensor([sum(covered) / len(covered) / c.geometry.fps]), d // 2)[0]
print(json.dumps(float((video[16, : d // 2] - want).abs().max())))`,
          `${work}/config.json`,
        ]),
      );
      assert.ok(off < 1e-6, `the token's time code is off by ${off}`);
    });

    await t.step("a retimed denoiser starts exactly where it was, then can learn", async () => {
      // models/retime.py adds a zero-initialized one-frame time code to a trained model:
      // same outputs at first, and a gradient that reaches the new projection.
      const [before, grad] = JSON.parse(
        await python([
          "-c",
          `import json, sys; sys.path.insert(0, "models")
import torch
from config import PackConfig
from dit import JointDiT
c = PackConfig.from_dict(json.load(open(sys.argv[1])))
torch.manual_seed(0)
old = JointDiT(c.dit, c.geometry, c.text.width)
for p in old.parameters(): torch.nn.init.normal_(p, std=0.05)
c.dit.fine_time_addon = True
new = JointDiT(c.dit, c.geometry, c.text.width)
missing, _ = new.load_state_dict(old.state_dict(), strict=False)
assert sorted(missing) == ["fine_time.bias", "fine_time.weight"], missing
args = (torch.randn(2, 8, 12, 4, 4), torch.randn(2, 8, 50), torch.rand(2), torch.randn(2, 32, c.text.width), torch.ones(2, 32), torch.randn(2, c.text.width))
a, b = old(*args), new(*args)
diff = max(float((x - y).abs().max()) for x, y in zip(a, b))
sum(o.square().mean() for o in new(*args)).backward()
print(json.dumps([diff, float(new.fine_time.weight.grad.abs().sum())]))`,
          `${work}/config.json`,
        ]),
      );
      assert.equal(before, 0, "the zero-initialized code changed the outputs");
      assert.ok(grad > 0, "no gradient reaches the new time code");
    });

    await t.step(
      "--reuse trains only the pool and the denoiser, keeping the latent space",
      async () => {
        const again = `${work}/reuse`;
        // A note left by an earlier try with --init-dit, stopped before its denoiser started.
        await Deno.mkdir(again);
        await Deno.writeTextFile(`${again}/dit_init.json`, '{"from": "elsewhere", "step": 1}');
        await python([
          "models/train.py",
          ...["--quick", "--no-export", "--reuse", work, "--work", again, "--set", "dit.steps=3"],
        ]);
        const read = (path: string) => Deno.readFile(path);
        for (const stage of ["text", "video_ae", "audio_ae", "sharpen_decoder", "preview"]) {
          assert.deepEqual(await read(`${again}/${stage}.pt`), await read(`${work}/${stage}.pt`));
        }
        const [source, reused] = await Promise.all(
          [work, again].map(async (dir) =>
            JSON.parse(await Deno.readTextFile(`${dir}/config.json`))
          ),
        );
        assert.deepEqual(reused.video_ae, source.video_ae, "the reused networks keep their config");
        assert.equal(reused.dit.steps, 3, "the denoiser takes this run's config");
        assert.notEqual(source.dit.steps, 3);
        assert.ok((await Deno.stat(`${again}/dit.pt.done`)).isFile);
        // The lineage: the source run for the reused networks, this run for the denoiser;
        // no entry for the stale note's start.
        assert.deepEqual(await lineageOf(again), [
          [basename(work), ["text", "video_ae", "audio_ae", "sharpen_decoder", "preview"], null],
          ["reuse", ["dit"], null],
        ]);
      },
    );

    /** Two steps of a fine-tune of this run's denoiser into `dir`, with more config fields. */
    const fineTune = (dir: string, ...fields: string[]) =>
      python([
        "models/train.py",
        ...["--quick", "--no-export", "--reuse", work, "--init-dit", work, "--work", dir],
        ...["dit.steps=2", ...fields].flatMap((field) => ["--set", field]),
      ]);

    await t.step("--init-dit fine-tunes a trained denoiser with clean videos", async () => {
      const tuned = `${work}/init`;
      await fineTune(tuned, "dit.clean_video_fraction=0.5");
      // Two steps move the weights a little from the source's; a fresh start would have
      // zeros in every adaLN modulation, which the trained source does not.
      const [moved, source] = JSON.parse(
        await python([
          "-c",
          `import json, sys, torch
a, b = (torch.load(f"{d}/dit.pt", map_location="cpu", weights_only=False)["ema"] for d in sys.argv[1:])
print(json.dumps([max(float((a[k] - b[k]).abs().max()) for k in a),
                  min(float(b[k].abs().max()) for k in b if k.endswith("modulation.weight"))]))`,
          tuned,
          work,
        ]),
      );
      assert.ok(source > 0.01, `the source's modulation is ~zero (${source})`);
      assert.ok(moved > 0 && moved < source / 2, `fine-tune moved the weights by ${moved}`);
      // The starting denoiser's own entry, measured, then this run's.
      assert.deepEqual(await lineageOf(tuned), [
        [basename(work), ["text", "video_ae", "audio_ae", "sharpen_decoder", "preview"], null],
        [basename(work), ["dit"], null],
        ["init", ["dit"], "fine-tuned from the one above"],
      ]);
      const start = JSON.parse(await Deno.readTextFile(`${tuned}/hardware.json`)).lineage[1];
      for (const fact of ["steps", "batch", "clips", "seconds"]) {
        assert.ok(Number.isFinite(start[fact]), `the start's ${fact}: ${JSON.stringify(start)}`);
      }
      // With every video clean, the model sees the clean latents and no video loss: the
      // video head gets no gradient, the audio head does.
      const grads = await onFreshDenoiser(
        `${work}/init`,
        `for p in model.parameters(): torch.nn.init.normal_(p, std=0.05)
seen = []
model.register_forward_pre_hook(lambda m, args: seen.append(args[0]))
out = []
for fraction in (1.0, 0.0):
    model.zero_grad()
    flow_loss(model, x0_v, x0_a, fraction, *text).backward()
    out.append([float(model.video_out.weight.grad.abs().sum()), float(model.audio_out.weight.grad.abs().sum()),
                bool(torch.equal(seen[-1], x0_v))])
print(json.dumps(out))`,
      );
      const [[cleanVideo, cleanAudio, sawClean], [noisyVideo, noisyAudio, sawNoisy]] = grads;
      assert.equal(cleanVideo, 0, "a clean video still had a video loss");
      assert.ok(cleanAudio > 0 && noisyVideo > 0 && noisyAudio > 0, JSON.stringify(grads));
      assert.ok(
        sawClean && !sawNoisy,
        "the model's video input is the clean latent only when asked",
      );
    });

    await t.step("a sync head starts at zero on a trained denoiser and tunes alone", async () => {
      const tuned = `${work}/sync`;
      await fineTune(
        tuned,
        ...["dit.sync_head=true", "dit.tune_sync_head_only=true", "dit.sync_click_weight=10"],
      );
      const [fresh, moved, kept] = JSON.parse(
        await python([
          "-c",
          `import json, sys; sys.path.insert(0, "models")
import torch
from config import read_config
from dit import JointDiT
load = lambda d: torch.load(f"{d}/dit.pt", map_location="cpu", weights_only=False)["ema"]
source, tuned = load(sys.argv[1]), load(sys.argv[2])
trunk = {k: v for k, v in source.items() if not k.startswith("sync.")}
c = read_config(sys.argv[2])
torch.manual_seed(0)
model = JointDiT(c.dit, c.geometry, c.text.width)
model.load_state_dict(trunk, strict=False)
c.dit.sync_head = False
bare = JointDiT(c.dit, c.geometry, c.text.width)
bare.load_state_dict(trunk)
args = (torch.randn(2, 8, 12, 4, 4), torch.randn(2, 8, 50), torch.rand(2), torch.randn(2, 32, c.text.width), torch.ones(2, 32), torch.randn(2, c.text.width))
with torch.no_grad():
    fresh = max(float((x - y).abs().max()) for x, y in zip(model(*args), bare(*args)))
last = "sync.to_audio.2.weight"
print(json.dumps([fresh, float((tuned[last] - source.get(last, torch.zeros(1))).abs().max()),
                  all(torch.equal(tuned[k], v) for k, v in trunk.items())]))`,
          work,
          tuned,
        ]),
      );
      assert.equal(fresh, 0, "a fresh sync head changed the denoiser's outputs");
      assert.ok(moved > 0, "the sync head's last layer did not move");
      assert.ok(kept, "tuning the sync head alone changed the transformer");
      // dit.sync_head_reads_truth: in training the head reads the clean video latents.
      const readsTruth = await onFreshDenoiser(
        tuned,
        `seen = []
model.sync.register_forward_pre_hook(lambda m, args: seen.append(args[0]))
for truth in (True, False):
    flow_loss(model, x0_v, x0_a, 0.0, *text, head_reads_truth=truth)
print(json.dumps([bool(torch.equal(x, x0_v)) for x in seen]))`,
      );
      assert.deepEqual(readsTruth, [true, false], "the head reads the true video only when asked");
      // dit.train_sigma_shift: the noise levels drawn are shifted as the sampler's are.
      const [plain, shifted] = await onFreshDenoiser(
        tuned,
        `model.sync = None  # the plain flow loss
drawn = []
model.register_forward_pre_hook(lambda m, args: drawn.append(args[2]))
shares = []
for shift in (1.0, 3.0):
    drawn.clear()
    torch.manual_seed(1)
    for _ in range(300):
        flow_loss(model, x0_v, x0_a, 0.0, *text, sigma_shift=shift)
    shares.append(float((torch.cat(drawn) > 0.9).float().mean()))
print(json.dumps(shares))`,
      );
      assert.ok(plain < 0.04 && shifted > 0.09, `sigma > 0.9: ${plain} unshifted, ${shifted} at 3`);
    });

    await t.step("refine_decoder.py changes the two decoders and nothing else", async () => {
      const refined = `${work}/outline`;
      const refine = () =>
        python([
          "models/refine_decoder.py",
          ...["--from", work, "--work", refined, "--minutes", "0.02", "--preview-minutes", "0.01"],
          ...["--clips", "40"],
        ]);
      await refine();
      const read = (path: string) => Deno.readFile(path);
      for (const stage of ["text", "video_ae", "audio_ae", "dit"]) {
        assert.deepEqual(await read(`${refined}/${stage}.pt`), await read(`${work}/${stage}.pt`));
      }
      const changed = ["sharpen_decoder", "preview"];
      const after = await Promise.all(changed.map((stage) => read(`${refined}/${stage}.pt`)));
      for (const [i, stage] of changed.entries()) {
        assert.ok((await Deno.stat(`${refined}/${stage}.pt.done`)).isFile);
        assert.notDeepEqual(after[i], await read(`${work}/${stage}.pt`), `${stage} unchanged`);
      }
      const config = JSON.parse(await Deno.readTextFile(`${refined}/config.json`));
      assert.equal(config.video_ae.decoder_outline_weight, 8);
      // The source run's entry, then one per refined network, each once.
      const lineage = [
        [
          basename(work),
          ["text", "video_ae", "audio_ae", "sharpen_decoder", "preview", "dit"],
          null,
        ],
        ["outline", ["sharpen_decoder"], "refined with an outline-weighted loss"],
        ["outline", ["preview"], "redistilled from the refined video decoder"],
      ];
      assert.deepEqual(await lineageOf(refined), lineage);
      assert.match(await refine(), /refined already/, "a second run redid finished stages");
      assert.deepEqual(await lineageOf(refined), lineage);
      for (const [i, stage] of changed.entries()) {
        assert.deepEqual(await read(`${refined}/${stage}.pt`), after[i]);
      }
    });

    const { readClips } = await import("../core/eval/read.ts");
    const probeFolder = (mode: string[]) => `${work}/sync${mode.join("")}`;
    /** Six bounce clips from probe_sync.py in `mode`, read back. */
    async function probeSync(...mode: string[]) {
      const out = probeFolder(mode);
      await python(["models/probe_sync.py", "--work", work, "--out", out, "--clips=6", ...mode]);
      return readClips(out);
    }

    await t.step("probe_sync.py writes bounce clips with their true video", async () => {
      const { scoreClips } = await import("../core/eval/score.ts");
      for (const mode of [[], ["--clean"]]) {
        const report = scoreClips(await probeSync(...mode));
        assert.equal(report.clips.length, 6);
        // The frames are the world's own, so every wall hit is seen where it happened.
        assert.ok(report.clips.every((c) => c.expected.motion === "bounce"));
        assert.equal(report.motion, 1, "the probe's videos are the ground truth");
        assert.ok(report.syncHits > 0, "bounce clips have hits to time clicks against");
      }
    });

    await t.step("probe_sync.py --joint samples the picture too", async () => {
      // The ground-truth probe's clips, from the step before.
      const [sampled, truth] = [await probeSync("--joint"), await readClips(probeFolder([]))];
      assert.equal(sampled.length, 6);
      assert.deepEqual(sampled.map((c) => c.attributes), truth.map((c) => c.attributes));
      assert.notDeepEqual(
        sampled[0]!.frames,
        truth[0]!.frames,
        "the picture is sampled, not the world's",
      );
    });

    await t.step(
      "probe_sync.py --by-step writes every step's sound and reads the head's hits",
      async () => {
        // `${work}/sync` is the sync-head fine-tune of the step above.
        const [out, steps] = [`${work}/bystep-out`, `${work}/bystep`];
        const said = await python([
          "models/probe_sync.py",
          ...["--work", `${work}/sync`, "--out", out, "--by-step", steps, "--clips=6"],
        ]);
        const rows = said.split("\n").filter((line) =>
          /^\s+\d+\s+[\d.]+\s+\d+\s+[\d.]+\s+[\d.]+$/.test(line)
        );
        assert.ok(rows.length > 1, `a detector row per step:\n${said}`);
        for (const row of rows) {
          const [, , , onHit, found] = row.trim().split(/\s+/).map(Number);
          assert.ok(onHit! >= 0 && onHit! <= 1 && found! >= 0 && found! <= 1, row);
        }
        const last = await readClips(`${steps}/step${rows.length - 1}`);
        // The last Euler step lands on its own clean estimate: that folder is the result.
        assert.deepEqual(
          last.map((c) => c.waveform),
          (await readClips(out)).map((c) => c.waveform),
        );
        const first = await readClips(`${steps}/step0`);
        assert.notDeepEqual(
          first[0]!.waveform,
          last[0]!.waveform,
          "the sound changes between steps",
        );
      },
    );

    await t.step(
      "engine latents match models/sample.py for the same noise",
      () => assertParity(pack!, work, work),
    );

    // The shipped pack's recovery is tests/from_pack_test.ts; this one has other widths.
    await t.step("from_pack.py reads this pack's checkpoints back out of it", async () => {
      const said = await python(["models/from_pack.py", "--pack", out, "--work", `${work}/back`]);
      // Not always 0: the 8-bit preview's weights are scaled to 255 levels and back.
      const within = Number(said.match(/re-exported within (\S+) of the pack/)?.[1]);
      assert.ok(within <= 1e-6, `re-exported ${within} away: ${said}`);
    });

    await Deno.remove(work, { recursive: true });
  },
});

/**
 * Runs Python `body` beside a fresh denoiser of the run `dir`'s config (`model`,
 * seeded; `c` its config, `flow_loss` imported), a batch of clean latents (`x0_v`,
 * `x0_a`) and text (`text`); returns what `body` prints as JSON.
 */
/** A run's lineage (models/reuse.py) as [run, stages, note] rows. */
async function lineageOf(dir: string): Promise<unknown[]> {
  const { lineage } = JSON.parse(await Deno.readTextFile(`${dir}/hardware.json`));
  return lineage.map((e: { run: string; stages: string[]; note?: string }) => [
    e.run,
    e.stages,
    e.note ?? null,
  ]);
}

async function onFreshDenoiser(dir: string, body: string) {
  const setup = `import json, sys; sys.path.insert(0, "models")
import torch
from config import read_config
from dit import JointDiT
from train import flow_loss
c = read_config(sys.argv[1])
torch.manual_seed(0)
model = JointDiT(c.dit, c.geometry, c.text.width)
x0_v, x0_a = torch.randn(3, 8, 12, 4, 4), torch.randn(3, 8, 50)
text = (torch.randn(3, 32, c.text.width), torch.ones(3, 32), torch.randn(3, c.text.width))
`;
  return JSON.parse(await python(["-c", setup + body, dir]));
}

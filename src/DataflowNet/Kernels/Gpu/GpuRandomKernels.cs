using ILGPU;
using ILGPU.Runtime;
using static DataflowNet.Kernels.Gpu.GpuKernels;

using V = ILGPU.Runtime.ArrayView1D<float, ILGPU.Stride1D.Dense>;
using Ints = ILGPU.Runtime.ArrayView1D<int, ILGPU.Stride1D.Dense>;

namespace DataflowNet.Kernels.Gpu;

/// <summary>
/// RandomUniform, RandomStandardNormal and TruncatedNormal (float32) giving the CPU kernel's numbers
/// (Kernels/Cpu/RandomKernels.cs) for the same seeds and the same sequence of runs. The session's Philox4x32-10
/// stream for the op is counter-based: the host reserves the blocks the CPU kernel would draw
/// (<see cref="PhiloxStream.Reserve"/>, advancing the stream exactly as the CPU does) and each device thread computes
/// block <c>first + b</c> from the key, four words, so four consecutive outputs.
/// <list type="bullet">
/// <item>Uniform: bit-for-bit the CPU's values (23 random bits times 2⁻²³).</item>
/// <item>Normal: Box–Muller on the same pairs of uniforms; log, sin and cos are evaluated in double precision by
/// the polynomials below (the GPU's fast float intrinsics are off by several ulp), then rounded to float: correctly
/// rounded, where the CPU's C library logf/sinf/cosf are within 1 ulp. Where they differ by that ulp, z = r·cos θ
/// differs by up to a few ulps (2 seen); on the CPU-backed device 97-100% of the values are bit-identical.</item>
/// <item>TruncatedNormal: the CPU draws rounds of candidates, keeps those within two standard deviations in order and
/// redraws for the rest, so where a round's draw starts depends on how many earlier rounds kept. Each round runs on
/// the device (a count per chunk of candidates, a scan, an ordered write) and only the round's kept count (one int)
/// comes back to the host to size the next round: about log(n)/log(22) + 1 rounds, 2-6 for 10²..10⁷ values.</item>
/// </list>
/// RandomShuffle stays on the CPU (see <see cref="GpuKernels.CpuOnly"/>).
/// </summary>
internal static class GpuRandomKernels
{
    public static void Register(KernelRegistry r, GpuDevice device)
    {
        var acc = device.Accelerator;
        var uniform = new Lazy<Action<Index1D, V, long, uint, uint, int>>(() =>
            acc.LoadAutoGroupedStreamKernel<Index1D, V, long, uint, uint, int>(UniformKernel));
        var normal = new Lazy<Action<Index1D, V, long, uint, uint, int>>(() =>
            acc.LoadAutoGroupedStreamKernel<Index1D, V, long, uint, uint, int>(NormalKernel));
        var count = new Lazy<Action<Index1D, Ints, long, uint, uint, int>>(() =>
            acc.LoadAutoGroupedStreamKernel<Index1D, Ints, long, uint, uint, int>(CountKernel));
        var scan = new Lazy<Action<Index1D, Ints, Ints, int>>(() => acc.LoadAutoGroupedStreamKernel<Index1D, Ints, Ints, int>(ScanKernel));
        var write = new Lazy<Action<Index1D, V, Ints, long, uint, uint, int, int, int>>(() =>
            acc.LoadAutoGroupedStreamKernel<Index1D, V, Ints, long, uint, uint, int, int, int>(WriteKernel));

        r.Register("RandomUniform", F32, ctx =>
        {
            var (y, stream) = Prepare(ctx, device);
            long blocks = Blocks(y.size);
            var (k0, k1) = stream.Key;
            long first = stream.Reserve(blocks); // as the CPU's Fill of size words
            if (blocks > 0) uniform.Value((int)blocks, View(y, ctx, 0), first, k0, k1, y.size);
        }, hostMemory: [0]);

        r.Register("RandomStandardNormal", F32, ctx =>
        {
            var (y, stream) = Prepare(ctx, device);
            if (y.size == 0) return; // the CPU draws nothing
            long blocks = Blocks(Want(y.size));
            var (k0, k1) = stream.Key;
            long first = stream.Reserve(blocks);
            normal.Value((int)blocks, View(y, ctx, 0), first, k0, k1, y.size);
        }, hostMemory: [0]);

        r.Register("TruncatedNormal", F32, ctx =>
        {
            var (y, stream) = Prepare(ctx, device);
            if (y.size == 0) return;
            var (k0, k1) = stream.Key;
            int chunks = (Want(y.size) + Chunk - 1) / Chunk;
            using var counts = (GpuBuffer<int>)device.Allocate(DataType.Int32, chunks, ctx.Self);
            using var total = NewFlag(device, ctx, 0);
            var result = View(y, ctx, 0);
            int filled = 0;
            while (filled < y.size)
            {
                // One round of the CPU's loop: `want` candidates from fresh blocks, the first `remaining` kept ones in order.
                int remaining = y.size - filled, want = Want(remaining);
                long first = stream.Reserve(Blocks(want));
                int roundChunks = (want + Chunk - 1) / Chunk;
                count.Value(roundChunks, counts.View, first, k0, k1, want);
                scan.Value(1, counts.View, total.View, roundChunks);
                write.Value(roundChunks, result, counts.View, first, k0, k1, want, filled, remaining);
                // The one value the host needs: how many this round kept, so where the next round's draw starts.
                int kept = ReadFlag(total);
                filled += Math.Min(kept, remaining);
            }
        }, hostMemory: [0]);
    }

    /// <summary>The output for the op's shape (host memory), with the CPU's check, and the session's stream for the op.</summary>
    private static (TensorValue Y, PhiloxStream Stream) Prepare(KernelContext ctx, GpuDevice device)
    {
        var dims = ctx.Input(0).ToArray<long>().Select(d => (int)d).ToArray();
        if (dims.Any(d => d < 0)) throw ctx.Error($"shape must be non-negative, got [{string.Join(", ", dims)}].");
        var stream = ctx.Run.Session.RandomStream(ctx.Self, ctx.Attr<int>("seed"), ctx.Attr<int>("seed2"));
        return (ctx.AllocateDeviceOutput(0, device, dims), stream);
    }

    /// <summary>The uniforms the CPU draws for <paramref name="n"/> normals: pairs, at least one.</summary>
    private static int Want(int n) => Math.Max(2, (n + 1) & ~1);

    private static long Blocks(long words) => (words + 3) / 4;

    /// <summary>Candidates per thread in TruncatedNormal's count and write passes (a multiple of four: whole blocks).</summary>
    private const int Chunk = 256;


    private static void UniformKernel(Index1D b, V y, long first, uint k0, uint k1, int size)
    {
        var w = PhiloxStream.Compute(first + b, k0, k1);
        int at = b * 4;
        for (int j = 0; j < 4 && at + j < size; j++) y[at + j] = PhiloxStream.ToFloat(w.Get(j));
    }

    /// <summary>Block b's four words are two pairs of uniforms, so normals 4b..4b+3 (cos, sin of each pair).</summary>
    private static void NormalKernel(Index1D b, V y, long first, uint k0, uint k1, int size)
    {
        var w = PhiloxStream.Compute(first + b, k0, k1);
        int at = b * 4;
        for (int j = 0; j < 4 && at + j < size; j++) y[at + j] = BoxMuller(w.Get(j & ~1), w.Get(j | 1), j & 1);
    }

    /// <summary>
    /// The CPU's Box–Muller in float: r = √(−2·log(1 − u₀)), θ = (float)2π·u₀'; z = r·cos θ (<paramref name="sin"/> 0)
    /// or r·sin θ. The float operations are the CPU's; log, sqrt, sin and cos are evaluated in double and rounded.
    /// </summary>
    private static float BoxMuller(uint w0, uint w1, int sin)
    {
        float u0 = PhiloxStream.ToFloat(w0), u1 = PhiloxStream.ToFloat(w1);
        float lg = GpuMath.Log(1f - u0);
        float r = (float)Math.Sqrt(-2f * lg);
        float theta = (float)(2 * Math.PI) * u1;
        return r * GpuMath.SinCos(theta, sin);
    }

    /// <summary>Whether the CPU keeps a candidate: |z| ≤ 2.</summary>
    private static bool Kept(float z) => !(MathF.Abs(z) > 2f);

    /// <summary>Candidate c of a round: block first + c/4, pair c &amp; ~1 of its words.</summary>
    private static float Candidate(PhiloxStream.Words4 w, int c) => BoxMuller(w.Get(c & 2), w.Get(c & 2 | 1), c & 1);

    private static void CountKernel(Index1D chunk, Ints counts, long first, uint k0, uint k1, int want)
    {
        int start = chunk * Chunk, end = Math.Min(start + Chunk, want), kept = 0;
        for (int c = start; c < end; c += 4)
        {
            var w = PhiloxStream.Compute(first + c / 4, k0, k1);
            for (int j = 0; j < 4 && c + j < end; j++) if (Kept(Candidate(w, j))) kept++;
        }
        counts[chunk] = kept;
    }

    /// <summary>One thread: the chunks' counts to their exclusive prefix sums (where each chunk's kept values go), and the round's total.</summary>
    private static void ScanKernel(Index1D _, Ints counts, Ints total, int chunks)
    {
        int sum = 0;
        for (int i = 0; i < chunks; i++)
        {
            int c = counts[i];
            counts[i] = sum;
            sum += c;
        }
        total[0] = sum;
    }

    private static void WriteKernel(Index1D chunk, V y, Ints offsets, long first, uint k0, uint k1, int want, int filled, int remaining)
    {
        int at = offsets[chunk];
        int start = chunk * Chunk, end = Math.Min(start + Chunk, want);
        for (int c = start; c < end && at < remaining; c += 4)
        {
            var w = PhiloxStream.Compute(first + c / 4, k0, k1);
            for (int j = 0; j < 4 && c + j < end && at < remaining; j++)
            {
                float z = Candidate(w, j);
                if (Kept(z)) y[filled + at++] = z;
            }
        }
    }
}

using ILGPU;
using ILGPU.Runtime;
using DataflowNet.Kernels.Cpu;
using static DataflowNet.Kernels.Gpu.GpuKernels;

using V = ILGPU.Runtime.ArrayView1D<float, ILGPU.Stride1D.Dense>;

namespace DataflowNet.Kernels.Gpu;

/// <summary>
/// Conv2D and its two backprops as implicit GEMMs: the matrix products of the CPU's im2col formulation
/// (ConvKernels), with the column matrix never built. Each is a problem struct for the tiled product kernel
/// (<see cref="GpuGemm"/>) whose loads gather straight from the input, filter and gradient tensors in either data
/// format, zero where a tap falls in the padding. With K = KH·KW·C taps and positions (image, oh, ow):
/// <list type="bullet">
/// <item>forward: y[positions, O] = im2col(x)[positions, K] · filter[K, O];</item>
/// <item>input backprop: dx[(image, ih, iw), C] = Σ over (kh, kw, o) of dy at the output position that tap (kh, kw)
/// reads (ih, iw) from, times filter[kh, kw, c, o]: the transposed convolution, a gather, so no two threads write
/// one element;</item>
/// <item>filter backprop: dfilter[K, O] = im2col(x)ᵀ[K, positions] · dy[positions, O]. The product is small and its
/// inner dimension (every position of the batch) long, so the inner dimension is split into slices, partial products
/// summed by a second kernel in a fixed order (deterministic, no atomics).</item>
/// </list>
/// BiasAddGrad (the sum over every axis but the channel) is here too: thread groups per channel and slice of the
/// batch, each a tree sum in shared memory, the slices' sums then added in order. MaxPool, AvgPool and their
/// gradients are in <see cref="GpuPoolKernels"/>.
/// </summary>
internal static class GpuConvKernels
{
    /// <summary>Threads of a BiasAddGrad group (the CPU-backed device allows 256 at most).</summary>
    private const int SumGroup = 256;

    public static void Register(KernelRegistry r, GpuDevice device)
    {
        var acc = device.Accelerator;
        var forward = new GpuGemm.Kernels<ConvForward>(device);
        var backInput = new GpuGemm.Kernels<ConvBackpropInput>(device);
        var backFilter = new GpuGemm.Kernels<ConvBackpropFilter>(device);
        var sumSplits = new Lazy<Action<Index1D, V, V, int, int>>(() => acc.LoadAutoGroupedStreamKernel<Index1D, V, V, int, int>(SumSplitsKernel));
        var biasGrad = new Lazy<Action<KernelConfig, V, V, int, FastDivisor, int, int>>(() => acc.LoadStreamKernel<V, V, int, FastDivisor, int, int>(BiasGradKernel));

        r.Register("Conv2D", F32, ctx =>
        {
            var (x, filter) = (ctx.Input(0), ctx.Input(1));
            var g = ConvKernels.Geometry(ctx, x.Dims, filter.Dims, null);
            var y = ctx.AllocateDeviceOutput(0, device, g.OutputDims());
            if (y.size == 0) return;
            forward.Launch(ctx, View(x, ctx, 0), View(filter, ctx, 1), View(y, ctx, 0), new ConvForward(ConvGeometry.Of(g)), "output channels");
        });

        r.Register("Conv2DBackpropInput", F32, ctx =>
        {
            Span<int> xDims = stackalloc int[4];
            ConvKernels.ReadSizes(ctx, 0, xDims); // host memory
            var (filter, dy) = (ctx.Input(1), ctx.Input(2));
            var g = ConvKernels.Geometry(ctx, xDims, filter.Dims, dy);
            var dx = ctx.AllocateDeviceOutput(0, device, xDims);
            if (dx.size == 0) return;
            // Every element of dx is written: a sum over no taps (an empty dy or filter) is zero.
            backInput.Launch(ctx, View(dy, ctx, 2), View(filter, ctx, 1), View(dx, ctx, 0), new ConvBackpropInput(ConvGeometry.Of(g)), "input channels");
        }, hostMemory: [0], dtypeInput: 1);

        r.Register("Conv2DBackpropFilter", F32, ctx =>
        {
            var (x, dy) = (ctx.Input(0), ctx.Input(2));
            Span<int> fDims = stackalloc int[4];
            ConvKernels.ReadSizes(ctx, 1, fDims); // host memory
            var g = ConvKernels.Geometry(ctx, x.Dims, fDims, dy);
            var df = ctx.AllocateDeviceOutput(0, device, fDims);
            if (df.size == 0) return;
            var (splits, chunk) = Splits(g.K, g.O, g.N * g.P, device.Multiprocessors);
            var problem = new ConvBackpropFilter(ConvGeometry.Of(g), chunk, splits);
            if (splits == 1)
            {
                backFilter.Launch(ctx, View(x, ctx, 0), View(dy, ctx, 2), View(df, ctx, 0), problem, "output channels");
                return;
            }
            var partial = PartialBuffer(ctx, device, (long)splits * df.size);
            backFilter.Launch(ctx, View(x, ctx, 0), View(dy, ctx, 2), partial.View, problem, "output channels");
            sumSplits.Value(df.size, partial.View, View(df, ctx, 0), df.size, splits);
        }, hostMemory: [1]);

        r.Register("BiasAddGrad", F32, ctx =>
        {
            var grad = ctx.Input(0);
            bool nchw = ctx.Attr<string>("data_format") == "NCHW";
            int channel = nchw ? 1 : grad.ndim - 1;
            int c = grad.Dims[channel];
            var result = ctx.AllocateDeviceOutput(0, device, [c]);
            if (c == 0) return;
            var (outer, _, inner) = Layout.Around(grad.Dims, channel);
            // Groups per channel and slice of the outer axis; with no elements each channel's sum is zero, written all the same.
            int slices = BiasGradSlices(c, outer, inner, device.Multiprocessors);
            int rowsPerSlice = (outer + slices - 1) / Math.Max(1, slices);
            var config = new KernelConfig(new Index2D(c, slices), new Index2D(SumGroup, 1));
            var divisor = new FastDivisor(Math.Max(1, inner));
            if (slices == 1)
            {
                biasGrad.Value(config, View(grad, ctx, 0), View(result, ctx, 0), c, divisor, outer, rowsPerSlice);
                return;
            }
            var partial = PartialBuffer(ctx, device, (long)slices * c);
            biasGrad.Value(config, View(grad, ctx, 0), partial.View, c, divisor, outer, rowsPerSlice);
            sumSplits.Value(c, partial.View, View(result, ctx, 0), c, slices);
        });
    }


    /// <summary>
    /// How the filter backprop's inner dimension (<paramref name="rows"/> positions) is split: into enough slices for
    /// two groups of 64×64 tiles per multiprocessor, each of at least 512 positions (fewer, longer slices leave less
    /// for the second kernel to add up); the chunk is a whole number of the product's depth steps.
    /// </summary>
    internal static (int Splits, int Chunk) Splits(int k, int o, int rows, int multiprocessors)
    {
        const int Step = GpuGemm.TileDepth;
        long tiles = (long)((k + GpuGemm.TileRows - 1) / GpuGemm.TileRows) * ((o + GpuGemm.TileCols - 1) / GpuGemm.TileCols);
        long wanted = (2L * multiprocessors + tiles - 1) / tiles;
        int splits = (int)Math.Clamp(Math.Min(wanted, (rows + 511) / 512), 1, 1024);
        int chunk = (rows + splits - 1) / splits;
        chunk = Math.Max(Step, (chunk + Step - 1) / Step * Step);
        return (Math.Max(1, (rows + chunk - 1) / chunk), chunk);
    }

    /// <summary>The filter backprop's partial products: a device buffer kept in the step's scratch from run to run; it only grows.</summary>
    private static GpuBuffer<float> PartialBuffer(KernelContext ctx, GpuDevice device, long count)
    {
        if (ctx.Scratch is GpuBuffer<float> b && b.Device == device && b.View.Length >= count) return b;
        // A smaller buffer left behind is collected like any dropped value: kernels queued on it still run first.
        var fresh = (GpuBuffer<float>)device.Allocate(DataType.Float32, count, ctx.Self);
        ctx.Scratch = fresh;
        return fresh;
    }

    /// <summary>y[i] = Σ_z partial[z, i], z ascending.</summary>
    private static void SumSplitsKernel(Index1D i, V partial, V y, int size, int splits)
    {
        float sum = 0;
        for (int z = 0; z < splits; z++) sum += partial[(long)z * size + i];
        y[i] = sum;
    }

    /// <summary>
    /// How BiasAddGrad splits the outer axis: enough slices for about four groups per multiprocessor (one group per
    /// channel left a GPU mostly idle: 32 groups for a 32-channel gradient), each over at least 4,096 elements, and
    /// each small enough to count in int.
    /// </summary>
    internal static int BiasGradSlices(int channels, int outer, int inner, int multiprocessors)
    {
        long perChannel = (long)outer * inner;
        long wanted = (4L * multiprocessors + channels - 1) / channels;
        long slices = Math.Min(wanted, perChannel / 4096);
        slices = Math.Max(slices, (perChannel + (1 << 30) - 1) >> 30);
        return (int)Math.Clamp(slices, 1, Math.Min(1024, Math.Max(1, outer)));
    }

    /// <summary>
    /// partial[s, c] = the sum of channel c over outer rows [s·rowsPerSlice, (s + 1)·rowsPerSlice): group (c, s), a
    /// strided sum per thread, then a tree in shared memory (a fixed order: deterministic). Element (o, c, i) of the
    /// [outer, channels, inner] view is at (o·channels + c)·inner + i.
    /// </summary>
    private static void BiasGradKernel(V grad, V partial, int channels, FastDivisor inner, int outer, int rowsPerSlice)
    {
        var sums = SharedMemory.Allocate1D<float>(SumGroup);
        int c = Grid.IdxX, slice = Grid.IdxY, t = Group.IdxX;
        int o0 = slice * rowsPerSlice;
        int count = (Math.Min(outer, o0 + rowsPerSlice) - o0) * inner.Divisor;
        float sum = 0;
        for (int j = t; j < count; j += SumGroup)
        {
            int r = inner.Div(j);
            sum += grad[((long)(o0 + r) * channels + c) * inner.Divisor + (j - r * inner.Divisor)];
        }
        sums[t] = sum;
        Group.Barrier();
        for (int s = SumGroup / 2; s > 0; s >>= 1)
        {
            if (t < s) sums[t] += sums[t + s];
            Group.Barrier();
        }
        if (t == 0) partial[(long)slice * channels + c] = sums[0];
    }
}

/// <summary>A <see cref="Window2D"/> as a kernel parameter (ints only), with the offsets of both data formats.</summary>
internal struct ConvGeometry
{
    public int N, H, W, C, KH, KW, O, SH, SW, DH, DW, OH, OW, PadTop, PadLeft, Nchw;

    public static ConvGeometry Of(in Window2D g) => new()
    {
        N = g.N, H = g.H, W = g.W, C = g.C, KH = g.KH, KW = g.KW, O = g.O, SH = g.SH, SW = g.SW, DH = g.DH, DW = g.DW,
        OH = g.OH, OW = g.OW, PadTop = g.PadTop, PadLeft = g.PadLeft, Nchw = g.Nchw ? 1 : 0,
    };

    /// <summary>The offset of input element (image, h, w, c) in the data format.</summary>
    public readonly int InputAt(int image, int h, int w, int c) =>
        Nchw != 0 ? ((image * C + c) * H + h) * W + w : ((image * H + h) * W + w) * C + c;

    /// <summary>The offset of output element (image, h, w, o) in the data format (O channels).</summary>
    public readonly int OutputAt(int image, int h, int w, int o) =>
        Nchw != 0 ? ((image * O + o) * OH + h) * OW + w : ((image * OH + h) * OW + w) * O + o;
}
/// <summary>The divisors a convolution's gathers split indices by, as multiplies (PTX has no integer divide).</summary>
internal readonly struct ConvDivisors(in ConvGeometry g)
{
    public readonly FastDivisor H = new(Math.Max(1, g.H)), W = new(Math.Max(1, g.W)), OH = new(Math.Max(1, g.OH)), OW = new(Math.Max(1, g.OW));
    public readonly FastDivisor C = new(Math.Max(1, g.C)), O = new(Math.Max(1, g.O)), KW = new(Math.Max(1, g.KW));
    public readonly FastDivisor SH = new(g.SH), SW = new(g.SW);
}

/// <summary>Conv2D: y[positions, O] = im2col(x)[positions, KH·KW·C] · filter[KH·KW·C, O].</summary>
internal readonly struct ConvForward(ConvGeometry g) : IGemmProblem
{
    private readonly ConvGeometry G = g;
    private readonly ConvDivisors D = new(g);

    public int Rows => G.N * G.OH * G.OW;
    public int Cols => G.O;
    public int Slices => 1;
    public bool AAlongDepth => G.Nchw == 0; // NHWC: a tap's consecutive channels are adjacent
    public bool BAlongCols => true;
    public GemmSlice Slice(int z) => new() { KEnd = G.KH * G.KW * G.C };

    public int AAt(GemmSlice s, int row, int k)
    {
        int t = D.OW.Div(row), ow = row - t * G.OW, image = D.OH.Div(t), oh = t - image * G.OH;
        int tap = D.C.Div(k), c = k - tap * G.C, kh = D.KW.Div(tap), kw = tap - kh * G.KW;
        int ih = oh * G.SH - G.PadTop + kh * G.DH, iw = ow * G.SW - G.PadLeft + kw * G.DW;
        return (uint)ih < (uint)G.H && (uint)iw < (uint)G.W ? G.InputAt(image, ih, iw, c) : -1;
    }

    public int BAt(GemmSlice s, int k, int col) => k * G.O + col;

    public long CAt(GemmSlice s, int row, int col)
    {
        int t = D.OW.Div(row), image = D.OH.Div(t);
        return G.OutputAt(image, t - image * G.OH, row - t * G.OW, col);
    }
}

/// <summary>
/// Conv2DBackpropInput: dx[(image, ih, iw), c] = Σ over taps (kh, kw, o) of dy[image, oh, ow, o] · filter[kh, kw, c, o],
/// where (oh, ow) is the output position whose tap (kh, kw) reads (ih, iw): ih = oh·SH − pad_top + kh·DH; none where
/// the stride does not land on it.
/// </summary>
internal readonly struct ConvBackpropInput(ConvGeometry g) : IGemmProblem
{
    private readonly ConvGeometry G = g;
    private readonly ConvDivisors D = new(g);

    public int Rows => G.N * G.H * G.W;
    public int Cols => G.C;
    public int Slices => 1;
    public bool AAlongDepth => G.Nchw == 0; // NHWC: dy's consecutive output channels are adjacent
    public bool BAlongCols => false; // filter[kh, kw, c, o]: consecutive o (the depth) are adjacent
    public GemmSlice Slice(int z) => new() { KEnd = G.KH * G.KW * G.O };

    public int AAt(GemmSlice s, int row, int k)
    {
        int t = D.W.Div(row), iw = row - t * G.W, image = D.H.Div(t), ih = t - image * G.H;
        int tap = D.O.Div(k), o = k - tap * G.O, kh = D.KW.Div(tap), kw = tap - kh * G.KW;
        int th = ih + G.PadTop - kh * G.DH, tw = iw + G.PadLeft - kw * G.DW;
        if (th < 0 || tw < 0) return -1;
        int oh = D.SH.Div(th), ow = D.SW.Div(tw);
        if (oh * G.SH != th || ow * G.SW != tw) return -1; // the stride does not land on (ih, iw)
        return oh < G.OH && ow < G.OW ? G.OutputAt(image, oh, ow, o) : -1;
    }

    public int BAt(GemmSlice s, int k, int col)
    {
        int tap = D.O.Div(k);
        return (tap * G.C + col) * G.O + (k - tap * G.O);
    }

    public long CAt(GemmSlice s, int row, int col)
    {
        int t = D.W.Div(row), image = D.H.Div(t);
        return G.InputAt(image, t - image * G.H, row - t * G.W, col);
    }
}

/// <summary>
/// Conv2DBackpropFilter: dfilter[KH·KW·C, O] = im2col(x)ᵀ · dy[positions, O], the positions split into
/// <c>splits</c> slices of <c>chunk</c>; slice z writes its partial product to c[z, K, O] (dfilter itself when there
/// is one).
/// </summary>
internal readonly struct ConvBackpropFilter(ConvGeometry g, int chunk, int splits) : IGemmProblem
{
    private readonly ConvGeometry G = g;
    private readonly ConvDivisors D = new(g);
    private readonly int Chunk = chunk, Count = splits;

    public int Rows => G.KH * G.KW * G.C;
    public int Cols => G.O;
    public int Slices => Count;
    public bool AAlongDepth => G.Nchw != 0; // NHWC: a tap's consecutive channels (the rows) are adjacent
    public bool BAlongCols => G.Nchw == 0;

    public GemmSlice Slice(int z)
    {
        int start = z * Chunk;
        return new GemmSlice { KStart = start, KEnd = Math.Min(G.N * G.OH * G.OW, start + Chunk), C = (long)z * Rows * G.O };
    }

    public int AAt(GemmSlice s, int row, int k)
    {
        int tap = D.C.Div(row), c = row - tap * G.C, kh = D.KW.Div(tap), kw = tap - kh * G.KW;
        int t = D.OW.Div(k), ow = k - t * G.OW, image = D.OH.Div(t), oh = t - image * G.OH;
        int ih = oh * G.SH - G.PadTop + kh * G.DH, iw = ow * G.SW - G.PadLeft + kw * G.DW;
        return (uint)ih < (uint)G.H && (uint)iw < (uint)G.W ? G.InputAt(image, ih, iw, c) : -1;
    }

    public int BAt(GemmSlice s, int k, int col)
    {
        int t = D.OW.Div(k), image = D.OH.Div(t);
        return G.OutputAt(image, t - image * G.OH, k - t * G.OW, col);
    }

    public long CAt(GemmSlice s, int row, int col) => s.C + (long)row * G.O + col;
}

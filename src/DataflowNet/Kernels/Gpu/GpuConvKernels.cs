using ILGPU;
using ILGPU.Runtime;
using DataflowNet.Kernels.Cpu;
using static DataflowNet.Kernels.Gpu.GpuKernels;

using V = ILGPU.Runtime.ArrayView1D<float, ILGPU.Stride1D.Dense>;

namespace DataflowNet.Kernels.Gpu;

/// <summary>
/// Conv2D and its two backprops as implicit GEMMs: the matrix products of the CPU's im2col formulation
/// (ConvKernels), with the column matrix never built. Each 16×16 thread group computes a 16×16 tile of the product,
/// one output element per thread, staging 16×16 tiles of both operands in shared memory; the loads gather straight
/// from the input, filter and gradient tensors in either data format, zero where a tap falls in the padding.
/// With K = KH·KW·C taps and positions (image, oh, ow):
/// <list type="bullet">
/// <item>forward: y[positions, O] = im2col(x)[positions, K] · filter[K, O];</item>
/// <item>input backprop: dx[(image, ih, iw), C] = Σ over (kh, kw, o) of dy at the output position that tap (kh, kw)
/// reads (ih, iw) from, times filter[kh, kw, c, o]: the transposed convolution, a gather, so no two threads write
/// one element;</item>
/// <item>filter backprop: dfilter[K, O] = im2col(x)ᵀ[K, positions] · dy[positions, O]. The product is small and its
/// inner dimension (every position of the batch) long, so the inner dimension is split over the grid's z axis into
/// partial products, summed by a second kernel in a fixed order (deterministic, no atomics).</item>
/// </list>
/// BiasAddGrad (the sum over every axis but the channel) is here too: one thread group per channel, a tree sum in
/// shared memory. MaxPool, AvgPool and their gradients are in <see cref="GpuPoolKernels"/>.
/// </summary>
internal static class GpuConvKernels
{
    private const int Tile = 16;
    /// <summary>Threads of a BiasAddGrad group (the CPU-backed device allows 256 at most).</summary>
    private const int SumGroup = 256;

    public static void Register(KernelRegistry r, GpuDevice device)
    {
        var acc = device.Accelerator;
        var forward = new Lazy<Action<KernelConfig, V, V, V, ConvGeometry>>(() => acc.LoadStreamKernel<V, V, V, ConvGeometry>(ForwardKernel));
        var backInput = new Lazy<Action<KernelConfig, V, V, V, ConvGeometry>>(() => acc.LoadStreamKernel<V, V, V, ConvGeometry>(BackpropInputKernel));
        var backFilter = new Lazy<Action<KernelConfig, V, V, V, ConvGeometry, int>>(() => acc.LoadStreamKernel<V, V, V, ConvGeometry, int>(BackpropFilterKernel));
        var sumSplits = new Lazy<Action<Index1D, V, V, int, int>>(() => acc.LoadAutoGroupedStreamKernel<Index1D, V, V, int, int>(SumSplitsKernel));
        var biasGrad = new Lazy<Action<KernelConfig, V, V, int, int, int>>(() => acc.LoadStreamKernel<V, V, int, int, int>(BiasGradKernel));

        r.Register("Conv2D", F32, ctx =>
        {
            var (x, filter) = (ctx.Input(0), ctx.Input(1));
            var g = ConvKernels.Geometry(ctx, x.Dims, filter.Dims, null);
            var y = ctx.AllocateDeviceOutput(0, device, g.OutputDims());
            if (y.size == 0) return;
            var cg = ConvGeometry.Of(g);
            forward.Value(Tiles(ctx, g.N * g.P, g.O, "output channels"), View(x, ctx, 0), View(filter, ctx, 1), View(y, ctx, 0), cg);
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
            backInput.Value(Tiles(ctx, g.N * g.H * g.W, g.C, "input channels"), View(dy, ctx, 2), View(filter, ctx, 1), View(dx, ctx, 0), ConvGeometry.Of(g));
        }, hostMemory: [0], dtypeInput: 1);

        r.Register("Conv2DBackpropFilter", F32, ctx =>
        {
            var (x, dy) = (ctx.Input(0), ctx.Input(2));
            Span<int> fDims = stackalloc int[4];
            ConvKernels.ReadSizes(ctx, 1, fDims); // host memory
            var g = ConvKernels.Geometry(ctx, x.Dims, fDims, dy);
            var df = ctx.AllocateDeviceOutput(0, device, fDims);
            if (df.size == 0) return;
            int k = g.K, rows = g.N * g.P;
            var (splits, chunk) = Splits(k, g.O, rows);
            var cg = ConvGeometry.Of(g);
            GpuKernels.CheckGridY(ctx, g.O, Tile, "output channels");
            var config = new KernelConfig(new Index3D((k + Tile - 1) / Tile, (g.O + Tile - 1) / Tile, splits), new Index3D(Tile, Tile, 1));
            if (splits == 1)
            {
                backFilter.Value(config, View(x, ctx, 0), View(dy, ctx, 2), View(df, ctx, 0), cg, chunk);
                return;
            }
            var partial = PartialBuffer(ctx, device, (long)splits * df.size);
            backFilter.Value(config, View(x, ctx, 0), View(dy, ctx, 2), partial.View, cg, chunk);
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
            // A group per channel; with no elements each channel's sum is zero, written all the same.
            biasGrad.Value(new KernelConfig(c, SumGroup), View(grad, ctx, 0), View(result, ctx, 0), c, inner, outer * inner);
        });

    }


    /// <summary>A grid of 16×16 groups over an [m, n] product: row tiles along x (the axis without a 65535 limit), column tiles along y.</summary>
    private static KernelConfig Tiles(KernelContext ctx, int m, int n, string what)
    {
        GpuKernels.CheckGridY(ctx, n, Tile, what);
        return new(new Index2D((m + Tile - 1) / Tile, (n + Tile - 1) / Tile), new Index2D(Tile, Tile));
    }

    /// <summary>
    /// How the filter backprop's inner dimension (<paramref name="rows"/> positions) is split: enough partial
    /// products for about a thousand groups, each over at least 256 positions; the chunk is a whole number of tiles.
    /// </summary>
    internal static (int Splits, int Chunk) Splits(int k, int o, int rows)
    {
        long tiles = (long)((k + Tile - 1) / Tile) * ((o + Tile - 1) / Tile);
        int wanted = (int)Math.Clamp(1024 / Math.Max(1, tiles), 1, 1024);
        int splits = Math.Clamp(Math.Min(wanted, (rows + 255) / 256), 1, 1024);
        int chunk = (rows + splits - 1) / splits;
        chunk = Math.Max(Tile, (chunk + Tile - 1) / Tile * Tile);
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

    /// <summary>y[positions, O] = im2col(x) · filter: thread (ty, tx) of the group computes position row0 + ty, channel col0 + tx.</summary>
    private static void ForwardKernel(V x, V f, V y, ConvGeometry g)
    {
        var a = SharedMemory.Allocate1D<float>(Tile * Tile); // a[row, tap]
        var b = SharedMemory.Allocate1D<float>(Tile * Tile); // b[tap, channel]
        int tx = Group.IdxX, ty = Group.IdxY;
        int m = Grid.IdxX * Tile + ty, n = Grid.IdxY * Tile + tx;
        int rows = g.N * g.OH * g.OW, k = g.KH * g.KW * g.C;
        bool rowIn = m < rows;
        int ow = m % g.OW, t = m / g.OW, oh = t % g.OH, image = t / g.OH;
        int top = oh * g.SH - g.PadTop, left = ow * g.SW - g.PadLeft;
        float sum = 0;
        for (int k0 = 0; k0 < k; k0 += Tile)
        {
            // This thread's row of the column matrix, tap k0 + tx: consecutive threads read consecutive channels (NHWC).
            int ka = k0 + tx;
            float av = 0;
            if (rowIn && ka < k)
            {
                int c = ka % g.C, tap = ka / g.C;
                int ih = top + tap / g.KW * g.DH, iw = left + tap % g.KW * g.DW;
                if ((uint)ih < (uint)g.H && (uint)iw < (uint)g.W) av = x[g.InputAt(image, ih, iw, c)];
            }
            a[ty * Tile + tx] = av;
            int kb = k0 + ty;
            b[ty * Tile + tx] = kb < k && n < g.O ? f[kb * g.O + n] : 0f;
            Group.Barrier();
            for (int p = 0; p < Tile; p++) sum += a[ty * Tile + p] * b[p * Tile + tx];
            Group.Barrier();
        }
        if (rowIn && n < g.O) y[g.OutputAt(image, oh, ow, n)] = sum;
    }

    /// <summary>
    /// dx[(image, ih, iw), c] = Σ over taps (kh, kw, o) of dy[image, oh, ow, o] · filter[kh, kw, c, o], where
    /// (oh, ow) is the output position whose tap (kh, kw) reads (ih, iw): ih = oh·SH − pad_top + kh·DH; none where the
    /// stride does not land on it.
    /// </summary>
    private static void BackpropInputKernel(V dy, V f, V dx, ConvGeometry g)
    {
        const int Padded = Tile + 1; // b is written transposed: the odd row length keeps its writes off one bank
        var a = SharedMemory.Allocate1D<float>(Tile * Tile); // a[row, tap·O + o]
        var b = SharedMemory.Allocate1D<float>(Tile * Padded); // b[tap·O + o, c]
        int tx = Group.IdxX, ty = Group.IdxY;
        int m = Grid.IdxX * Tile + ty, col0 = Grid.IdxY * Tile;
        int rows = g.N * g.H * g.W, k = g.KH * g.KW * g.O;
        bool rowIn = m < rows;
        int iw = m % g.W, t = m / g.W, ih = t % g.H, image = t / g.H;
        float sum = 0;
        for (int k0 = 0; k0 < k; k0 += Tile)
        {
            int ka = k0 + tx;
            float av = 0;
            if (rowIn && ka < k)
            {
                int o = ka % g.O, tap = ka / g.O;
                int th = ih + g.PadTop - tap / g.KW * g.DH, tw = iw + g.PadLeft - tap % g.KW * g.DW;
                if (th >= 0 && tw >= 0 && th % g.SH == 0 && tw % g.SW == 0)
                {
                    int oh = th / g.SH, ow = tw / g.SW;
                    if (oh < g.OH && ow < g.OW) av = dy[g.OutputAt(image, oh, ow, o)];
                }
            }
            a[ty * Tile + tx] = av;
            // filter[kh, kw, c, o] for tap·O + o = k0 + tx and c = col0 + ty: consecutive threads read consecutive o.
            int kb = k0 + tx, cb = col0 + ty;
            b[tx * Padded + ty] = kb < k && cb < g.C ? f[(kb / g.O * g.C + cb) * g.O + kb % g.O] : 0f;
            Group.Barrier();
            for (int p = 0; p < Tile; p++) sum += a[ty * Tile + p] * b[p * Padded + tx];
            Group.Barrier();
        }
        int n = col0 + tx;
        if (rowIn && n < g.C) dx[g.InputAt(image, ih, iw, n)] = sum;
    }

    /// <summary>
    /// Partial product z (grid z) of dfilter[K, O] = im2col(x)ᵀ · dy over positions [z·chunk, (z + 1)·chunk):
    /// written to partial[z, K, O] (dfilter itself when there is one split).
    /// </summary>
    private static void BackpropFilterKernel(V x, V dy, V partial, ConvGeometry g, int chunk)
    {
        const int Padded = Tile + 1;
        var a = SharedMemory.Allocate1D<float>(Tile * Padded); // a[tap, position], written transposed
        var b = SharedMemory.Allocate1D<float>(Tile * Tile); // b[position, o]
        int tx = Group.IdxX, ty = Group.IdxY;
        int row0 = Grid.IdxX * Tile, n = Grid.IdxY * Tile + tx, z = Grid.IdxZ;
        int k = g.KH * g.KW * g.C, rows = g.N * g.OH * g.OW;
        int start = z * chunk, end = Math.Min(rows, start + chunk);
        // The tap this thread loads: k index row0 + tx (consecutive threads, consecutive channels in NHWC).
        int ka = row0 + tx;
        int c = ka % g.C, tap = ka / g.C, dh = tap / g.KW * g.DH - g.PadTop, dw = tap % g.KW * g.DW - g.PadLeft;
        float sum = 0;
        for (int r0 = start; r0 < end; r0 += Tile)
        {
            int r = r0 + ty;
            bool rIn = r < end;
            int ow = r % g.OW, t = r / g.OW, oh = t % g.OH, image = t / g.OH;
            float av = 0;
            if (rIn && ka < k)
            {
                int ih = oh * g.SH + dh, iw = ow * g.SW + dw;
                if ((uint)ih < (uint)g.H && (uint)iw < (uint)g.W) av = x[g.InputAt(image, ih, iw, c)];
            }
            a[tx * Padded + ty] = av;
            b[ty * Tile + tx] = rIn && n < g.O ? dy[g.OutputAt(image, oh, ow, n)] : 0f;
            Group.Barrier();
            for (int p = 0; p < Tile; p++) sum += a[ty * Padded + p] * b[p * Tile + tx];
            Group.Barrier();
        }
        int m = row0 + ty;
        if (m < k && n < g.O) partial[(long)z * k * g.O + m * g.O + n] = sum;
    }

    /// <summary>y[i] = Σ_z partial[z, i], z ascending.</summary>
    private static void SumSplitsKernel(Index1D i, V partial, V y, int size, int splits)
    {
        float sum = 0;
        for (int z = 0; z < splits; z++) sum += partial[(long)z * size + i];
        y[i] = sum;
    }

    /// <summary>result[c] = Σ of grad over every axis but the channel: element j of channel c is at ((j / inner)·C + c)·inner + j % inner.</summary>
    private static void BiasGradKernel(V grad, V result, int channels, int inner, int count)
    {
        var partial = SharedMemory.Allocate1D<float>(SumGroup);
        int c = Grid.IdxX, t = Group.IdxX;
        float sum = 0;
        for (long j = t; j < count; j += SumGroup) // long: j + SumGroup may pass int.MaxValue
        {
            int o = (int)(j / inner);
            sum += grad[((long)o * channels + c) * inner + (j - o * inner)];
        }
        partial[t] = sum;
        Group.Barrier();
        for (int s = SumGroup / 2; s > 0; s >>= 1)
        {
            if (t < s) partial[t] += partial[t + s];
            Group.Barrier();
        }
        if (t == 0) result[c] = partial[0];
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

using ILGPU;
using ILGPU.Runtime;
using DataflowNet.Kernels.Cpu;
using static DataflowNet.Kernels.Gpu.GpuKernels;

using V = ILGPU.Runtime.ArrayView1D<float, ILGPU.Stride1D.Dense>;

namespace DataflowNet.Kernels.Gpu;

/// <summary>
/// MaxPool, AvgPool and their gradients, with the CPU kernels' rules (PoolKernels): each window clipped to the image,
/// so SAME padding never contributes; a max is the first largest element in row-major window order; an average
/// divides by the number of real elements. The forward ops run one thread per output element. The gradients run one
/// thread per input element and gather from the windows that cover it (no atomics, nothing written twice):
/// MaxPoolGrad recomputes each covering window's first maximum and takes its gradient where that is this element;
/// AvgPoolGrad adds each covering window's share. The windows are visited in the CPU kernel's order, so the sums are
/// the CPU's to the last bit.
/// </summary>
internal static class GpuPoolKernels
{
    public static void Register(KernelRegistry r, GpuDevice device)
    {
        var acc = device.Accelerator;
        var pool = new Lazy<Action<Index1D, V, V, V, ConvGeometry, int>>(() => acc.LoadAutoGroupedStreamKernel<Index1D, V, V, V, ConvGeometry, int>(PoolKernel));
        var maxGrad = new Lazy<Action<Index1D, V, V, V, ConvGeometry>>(() => acc.LoadAutoGroupedStreamKernel<Index1D, V, V, V, ConvGeometry>(MaxPoolGradKernel));
        var avgGrad = new Lazy<Action<Index1D, V, V, ConvGeometry>>(() => acc.LoadAutoGroupedStreamKernel<Index1D, V, V, ConvGeometry>(AvgPoolGradKernel));

        foreach (var (type, max) in new[] { ("MaxPool", 1), ("AvgPool", 0) })
            r.Register(type, F32, ctx =>
            {
                var x = ctx.Input(0);
                var g = Geometry(ctx, x.Dims);
                var y = ctx.AllocateDeviceOutput(0, device, g.OutputDims());
                if (y.size > 0) pool.Value(y.size, View(x, ctx, 0), View(x, ctx, 0), View(y, ctx, 0), ConvGeometry.Of(g), max);
            });

        // The max pool's kernel, reading grad (shaped as orig_input) at each window's first maximum of orig_input.
        r.Register("MaxPoolGradGrad", F32, ctx =>
        {
            var (x, grad) = (ctx.Input(0), ctx.Input(2));
            var g = Geometry(ctx, x.Dims);
            ConvKernels.CheckGradGradShapes(ctx, g, x, ctx.Input(1), grad);
            var y = ctx.AllocateDeviceOutput(0, device, g.OutputDims());
            if (y.size > 0) pool.Value(y.size, View(x, ctx, 0), View(grad, ctx, 2), View(y, ctx, 0), ConvGeometry.Of(g), 1);
        });

        r.Register("MaxPoolGrad", F32, ctx =>
        {
            var x = ctx.Input(0);
            var g = Geometry(ctx, x.Dims);
            ConvKernels.CheckGradientShape(ctx, g, ctx.Input(1));
            ConvKernels.CheckGradientShape(ctx, g, ctx.Input(2));
            // The maxima are recomputed from orig_input (orig_output is not needed to find them).
            var dx = ctx.AllocateDeviceOutput(0, device, x.Dims);
            if (dx.size > 0) maxGrad.Value(dx.size, View(x, ctx, 0), View(ctx.Input(2), ctx, 2), View(dx, ctx, 0), ConvGeometry.Of(g));
        });

        r.Register("AvgPoolGrad", F32, ctx =>
        {
            Span<int> dims = stackalloc int[4];
            ConvKernels.ReadSizes(ctx, 0, dims); // host memory
            var g = Geometry(ctx, dims);
            var grad = ctx.Input(1);
            ConvKernels.CheckGradientShape(ctx, g, grad);
            var dx = ctx.AllocateDeviceOutput(0, device, dims);
            if (dx.size > 0) avgGrad.Value(dx.size, View(grad, ctx, 1), View(dx, ctx, 0), ConvGeometry.Of(g));
        }, hostMemory: [0], dtypeInput: 1);
    }

    /// <summary>The CPU kernel's geometry and checks (PoolKernels.Geometry).</summary>
    private static Window2D Geometry(KernelContext ctx, ReadOnlySpan<int> x)
    {
        if (x.Length != 4) throw ctx.Error($"input must be 4-D, got shape {TensorShape.Format(x.ToArray())}.");
        return Window2D.Pool(x, ctx.Attr<int[]>("ksize"), ctx.Attr<int[]>("strides"), ctx.Attr<string>("data_format") == "NCHW",
                             ctx.Attr<string>("padding") == "SAME", ctx.Errors);
    }

    /// <summary>(image, h, w, c) of element <paramref name="i"/> of a tensor of <paramref name="height"/>×<paramref name="width"/> images with C channels, in the data format.</summary>
    private static void Decode(int i, in ConvGeometry g, int height, int width, out int image, out int h, out int w, out int c)
    {
        if (g.Nchw != 0)
        {
            w = i % width; i /= width;
            h = i % height; i /= height;
            c = i % g.C; image = i / g.C;
        }
        else
        {
            c = i % g.C; i /= g.C;
            w = i % width; i /= width;
            h = i % height; image = i / height;
        }
    }

    /// <summary>The offset of the first largest element of output (image, oh, ow, c)'s window, clipped to the image (later equal values do not replace it).</summary>
    private static int ArgMax(V x, in ConvGeometry g, int image, int oh, int ow, int c)
    {
        int top = oh * g.SH - g.PadTop, left = ow * g.SW - g.PadLeft;
        int h0 = Math.Max(top, 0), h1 = Math.Min(top + g.KH, g.H), w0 = Math.Max(left, 0), w1 = Math.Min(left + g.KW, g.W);
        int best = g.InputAt(image, h0, w0, c);
        float bestValue = x[best];
        for (int h = h0; h < h1; h++)
            for (int w = w0; w < w1; w++)
            {
                int at = g.InputAt(image, h, w, c);
                float v = x[at];
                if (v > bestValue) { best = at; bestValue = v; }
            }
        return best;
    }

    /// <summary>Element count of output (oh, ow)'s window clipped to the image.</summary>
    private static int WindowSize(in ConvGeometry g, int oh, int ow)
    {
        int top = oh * g.SH - g.PadTop, left = ow * g.SW - g.PadLeft;
        return (Math.Min(top + g.KH, g.H) - Math.Max(top, 0)) * (Math.Min(left + g.KW, g.W) - Math.Max(left, 0));
    }

    /// <summary>y = <paramref name="source"/> at each window's first maximum of x (max pooling: source x; MaxPoolGradGrad: grad), or x's window average.</summary>
    private static void PoolKernel(Index1D i, V x, V source, V y, ConvGeometry g, int max)
    {
        Decode(i, g, g.OH, g.OW, out int image, out int oh, out int ow, out int c);
        if (max != 0)
        {
            y[i] = source[ArgMax(x, g, image, oh, ow, c)];
            return;
        }
        int top = oh * g.SH - g.PadTop, left = ow * g.SW - g.PadLeft;
        int h0 = Math.Max(top, 0), h1 = Math.Min(top + g.KH, g.H), w0 = Math.Max(left, 0), w1 = Math.Min(left + g.KW, g.W);
        float sum = 0;
        for (int h = h0; h < h1; h++)
            for (int w = w0; w < w1; w++) sum += x[g.InputAt(image, h, w, c)];
        y[i] = sum / ((h1 - h0) * (w1 - w0));
    }

    /// <summary>The output rows (or columns) whose windows cover input row <paramref name="at"/>: [first, last], possibly empty.</summary>
    private static void Covering(int at, int pad, int window, int stride, int outputs, out int first, out int last)
    {
        int lowest = at + pad - window + 1; // a window starting at o·stride − pad covers at when lowest ≤ o·stride ≤ at + pad
        first = lowest <= 0 ? 0 : (lowest + stride - 1) / stride;
        last = Math.Min((at + pad) / stride, outputs - 1);
    }

    private static void MaxPoolGradKernel(Index1D i, V x, V grad, V dx, ConvGeometry g)
    {
        Decode(i, g, g.H, g.W, out int image, out int ih, out int iw, out int c);
        Covering(ih, g.PadTop, g.KH, g.SH, g.OH, out int oh0, out int oh1);
        Covering(iw, g.PadLeft, g.KW, g.SW, g.OW, out int ow0, out int ow1);
        float sum = 0;
        for (int oh = oh0; oh <= oh1; oh++)
            for (int ow = ow0; ow <= ow1; ow++)
                if (ArgMax(x, g, image, oh, ow, c) == i) sum += grad[g.OutputAt(image, oh, ow, c)];
        dx[i] = sum;
    }

    private static void AvgPoolGradKernel(Index1D i, V grad, V dx, ConvGeometry g)
    {
        Decode(i, g, g.H, g.W, out int image, out int ih, out int iw, out int c);
        Covering(ih, g.PadTop, g.KH, g.SH, g.OH, out int oh0, out int oh1);
        Covering(iw, g.PadLeft, g.KW, g.SW, g.OW, out int ow0, out int ow1);
        float sum = 0;
        for (int oh = oh0; oh <= oh1; oh++)
            for (int ow = ow0; ow <= ow1; ow++)
                sum += grad[g.OutputAt(image, oh, ow, c)] / WindowSize(g, oh, ow);
        dx[i] = sum;
    }
}

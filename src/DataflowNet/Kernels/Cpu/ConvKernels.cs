using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace DataflowNet.Kernels.Cpu;

/// <summary>
/// Conv2D and its backprops as matrix products over an im2col matrix: row (image, output position) holds the
/// input values under the filter at that position, KH·KW·C of them in the filter's (kh, kw, c) order, zero where
/// the filter overhangs the padding. With K = KH·KW·C and the filter seen as a [K, O] matrix:
/// <list type="bullet">
/// <item>forward: y[positions, O] = col · filter;</item>
/// <item>input backprop: dcol = dy[positions, O] · filterᵀ, and col2im adds each dcol row back where it was read from;</item>
/// <item>filter backprop: dfilterᵀ[O, K] = dyᵀ[O, positions] · col.</item>
/// </list>
/// The batch is split into one contiguous range of images per core, and each core walks its range in chunks small
/// enough that the column matrix it writes is still in its cache when its own product reads it (im2col → product →
/// col2im, single-threaded, on each core at once). A column matrix of the whole batch would be written to memory
/// and read back: measured, that was a third of a convolution's time. The filter backprop sums per-core partial
/// gradients in core order at the end. Every product goes through <see cref="Gemm"/>.
/// </summary>
internal static class ConvKernels
{
    /// <summary>Most elements of one core's column matrix (512 KiB of float32, within a core's L2): bounds its chunk of images.</summary>
    private const int ColumnLimit = 1 << 17;

    /// <summary>Below this many multiply-adds one core does the whole convolution (with both cores inside its products).</summary>
    private const long ParallelWork = 1 << 22;

    public static void Register(KernelRegistry r)
    {
        r.Register("Conv2D", DataTypeExtensions.Floating, ctx => { var a = new ForwardAction(ctx); TypeSwitch.Float(ctx.Input(0).dtype, ref a); });
        // The first input is the int32 input_sizes: every dtype is let through here and the filter's picks the implementation.
        r.Register("Conv2DBackpropInput", null, ctx => { var a = new BackpropInputAction(ctx); TypeSwitch.Float(ctx.Input(1).dtype, ref a); });
        r.Register("Conv2DBackpropFilter", DataTypeExtensions.Floating, ctx => { var a = new BackpropFilterAction(ctx); TypeSwitch.Float(ctx.Input(0).dtype, ref a); });
    }

    private enum Pass { Forward, Input, Filter }

    private readonly struct ForwardAction(KernelContext ctx) : IFloatAction
    {
        public void Invoke<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            var x = ctx.Input(0);
            var filter = ctx.Input(1);
            var g = Geometry(ctx, x.Dims, filter.Dims, null);
            Span<int> dims = stackalloc int[4];
            g.OutputDims(dims);
            var y = ctx.AllocateUninitializedOutput(0, dims).Buffer<T>();
            if (y.Length == 0) return;
            ConvJob<T>.Run(Pass.Forward, g, x.Buffer<T>(), filter.Buffer<T>(), y, Buffers<T>.Of(ctx));
        }
    }

    private readonly struct BackpropInputAction(KernelContext ctx) : IFloatAction
    {
        public void Invoke<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            Span<int> xDims = stackalloc int[4];
            ReadSizes(ctx, 0, xDims);
            var filter = ctx.Input(1);
            var dy = ctx.Input(2);
            var g = Geometry(ctx, xDims, filter.Dims, dy);
            var dx = ctx.AllocateOutput(0, xDims).Buffer<T>(); // zero-filled: col2im adds into it
            if (dx.Length == 0 || dy.size == 0) return;
            ConvJob<T>.Run(Pass.Input, g, dy.Buffer<T>(), filter.Buffer<T>(), dx, Buffers<T>.Of(ctx));
        }
    }

    private readonly struct BackpropFilterAction(KernelContext ctx) : IFloatAction
    {
        public void Invoke<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            var x = ctx.Input(0);
            Span<int> fDims = stackalloc int[4];
            ReadSizes(ctx, 1, fDims);
            var dy = ctx.Input(2);
            var g = Geometry(ctx, x.Dims, fDims, dy);
            var df = ctx.AllocateOutput(0, fDims).Buffer<T>(); // zero-filled: each chunk adds its share
            if (df.Length == 0 || dy.size == 0) return;
            ConvJob<T>.Run(Pass.Filter, g, x.Buffer<T>(), dy.Buffer<T>(), df, Buffers<T>.Of(ctx));
        }
    }

    /// <summary>
    /// One convolution pass over the batch: <see cref="Run(int, int)"/> takes parts (one per core) of whole images.
    /// Operands by pass: forward (x, filter → y), input backprop (dy, filter → dx), filter backprop (x, dy → df).
    /// One job per thread, reused; it holds the arrays only while it runs.
    /// </summary>
    private sealed class ConvJob<T> : IRangeWork where T : unmanaged, IFloatingPointIeee754<T>
    {
        [ThreadStatic] private static ConvJob<T>? current;
        private Pass _pass;
        private Window2D _g;
        private T[] _a = [], _b = [], _out = [];
        private Buffers<T> _s = null!;
        private int _parts;

        public static void Run(Pass pass, in Window2D g, T[] a, T[] b, T[] output, Buffers<T> s)
        {
            long work = (long)g.N * g.P * g.K * g.O;
            // One part when the cores are taken (by another session's thread): the parts would run one after another here.
            int parts = work < ParallelWork || CpuParallel.Busy ? 1 : Math.Min(CpuParallel.Degree, g.N);
            s.Part(parts - 1); // every part's buffers exist before the parts run on other threads
            var job = current ??= new ConvJob<T>();
            (job._pass, job._g, job._a, job._b, job._out, job._s, job._parts) = (pass, g, a, b, output, s, parts);
            try
            {
                if (parts == 1) job.Part(0, wide: true);
                else
                {
                    CpuParallel.For(parts, job);
                    // The filter gradient: the parts' partial sums, added in part order (deterministic).
                    if (pass == Pass.Filter)
                        for (int p = 0; p < parts; p++) TP.Add(output, s.Part(p).Sum.AsSpan(0, output.Length), output);
                }
            }
            finally { (job._a, job._b, job._out, job._s) = ([], [], [], null!); }
        }

        public void Run(int start, int end)
        {
            for (int p = start; p < end; p++) Part(p, wide: false);
        }

        /// <summary>
        /// Images of part <paramref name="part"/>, a cache-sized chunk at a time. <paramref name="wide"/>: this is the
        /// only part, so its im2col and products use every core themselves.
        /// </summary>
        private void Part(int part, bool wide)
        {
            var g = _g;
            int from = (int)((long)g.N * part / _parts), to = (int)((long)g.N * (part + 1) / _parts);
            var s = _s.Part(part);
            int chunk = Math.Clamp(ColumnLimit / Math.Max(1, g.P * g.K), 1, Math.Max(1, to - from));
            var col = Buffers<T>.AtLeast(ref s.Col, chunk * g.P * g.K);
            // The filter gradient of a part accumulates in its own sum (or in the output when it is the only part).
            var sum = _pass != Pass.Filter ? null : wide ? _out : Buffers<T>.AtLeast(ref s.Sum, _out.Length);
            if (sum is not null && !wide) Array.Clear(sum, 0, _out.Length);
            for (int b0 = from; b0 < to; b0 += chunk)
            {
                int nb = Math.Min(chunk, to - b0), m = nb * g.P;
                switch (_pass)
                {
                    case Pass.Forward:
                    {
                        Im2Col(_a, col, g, b0, nb, wide);
                        // The product's rows are NHWC output rows: it writes the output itself.
                        var rows = g.Nchw ? Buffers<T>.AtLeast(ref s.Rows, nb * g.OutImage).AsSpan() : _out.AsSpan(b0 * g.OutImage, nb * g.OutImage);
                        Product<T>(col, false, _b, false, rows, m, g.K, g.O, accumulate: false, wide);
                        if (g.Nchw) RowsToTensor(s.Rows, _out, g, b0, nb);
                        break;
                    }
                    case Pass.Input:
                    {
                        var rows = OutputRows(_a, g, b0, nb, ref s.Rows);
                        // dcol[P, K] = dy[P, O] · filterᵀ (the filter is [K, O]).
                        Product<T>(rows, false, _b, true, col, m, g.O, g.K, accumulate: false, wide);
                        Col2Im(col, _out, g, b0, nb, wide);
                        break;
                    }
                    default:
                    {
                        Im2Col(_a, col, g, b0, nb, wide);
                        var rows = OutputRows(_b, g, b0, nb, ref s.Rows);
                        // df[K, O] += colᵀ[K, P] · dy[P, O].
                        Product<T>(col, true, rows, false, sum, g.K, m, g.O, accumulate: true, wide);
                        break;
                    }
                }
            }
        }

        /// <summary>Images [b0, b0 + nb) of an output-side tensor as product rows [nb·P, O]: a slice on NHWC, a copy on NCHW.</summary>
        private static ReadOnlySpan<T> OutputRows(T[] tensor, in Window2D g, int b0, int nb, ref T[] scratch)
        {
            if (!g.Nchw) return tensor.AsSpan(b0 * g.OutImage, nb * g.OutImage);
            TensorToRows(tensor, Buffers<T>.AtLeast(ref scratch, nb * g.OutImage), g, b0, nb);
            return scratch.AsSpan(0, nb * g.OutImage);
        }
    }

    /// <summary>
    /// C[m, n] (+)= op(A) · op(B) over the leading elements of each operand (scratch arrays may be longer). Inside a
    /// part the product stays on its core; <paramref name="wide"/> lets it use them all.
    /// </summary>
    private static void Product<T>(ReadOnlySpan<T> a, bool transposeA, ReadOnlySpan<T> b, bool transposeB, Span<T> c,
        int m, int k, int n, bool accumulate, bool wide) where T : unmanaged, IFloatingPointIeee754<T>
    {
        a = a[..(m * k)];
        b = b[..(k * n)];
        c = c[..(m * n)];
        if (wide) Cpu.Gemm.Multiply(a, transposeA, b, transposeB, c, m, k, n, accumulate);
        else Cpu.Gemm.Multiply(a, transposeA, b, transposeB, c, m, k, n, accumulate, Blocking.Default<T>(), parts: 1);
    }

    /// <summary>The geometry at run time, with the checks a shape function could not make on unknown dims.</summary>
    internal static Window2D Geometry(KernelContext ctx, ReadOnlySpan<int> x, ReadOnlySpan<int> f, TensorValue? dy)
    {
        if (x.Length != 4 || f.Length != 4)
            throw ctx.Error($"input and filter must be 4-D, got shapes {TensorShape.Format(x.ToArray())} and {TensorShape.Format(f.ToArray())}.");
        var g = Window2D.Conv(x, f, ctx.Attr<int[]>("strides"), ctx.Attr<int[]>("dilations"), ctx.Attr<string>("data_format") == "NCHW",
                              ctx.Attr<string>("padding") == "SAME", ctx.Errors);
        if (g.C != f[2])
            throw ctx.Error($"input and filter must have the same depth: {g.C} vs {f[2]} (input shape {TensorShape.Format(x.ToArray())}, filter shape {TensorShape.Format(f.ToArray())}).");
        if (dy is not null) CheckGradientShape(ctx, g, dy);
        // One image's column matrix (output positions × window values) is one array, and its size an int.
        long columns = (long)g.OH * g.OW * g.KH * g.KW * g.C;
        if (columns > Array.MaxLength)
            throw new ResourceExhaustedException(
                $"One image's im2col matrix would hold {columns} values ({g.OH}x{g.OW} output positions × {g.KH}x{g.KW}x{g.C} window values), " +
                $"more than one array can (at most {Array.MaxLength})\n\tin op {ctx.Self.Describe()}") { Op = ctx.Self };
        return g;
    }

    /// <summary>A gradient input must have the forward output's shape.</summary>
    internal static void CheckGradientShape(KernelContext ctx, in Window2D g, TensorValue dy)
    {
        Span<int> expected = stackalloc int[4];
        g.OutputDims(expected);
        if (!dy.Dims.AsSpan().SequenceEqual(expected))
            throw ctx.Error($"The gradient has shape {TensorShape.Format(dy.Dims)}, but the forward op's output has shape {TensorShape.Format(expected.ToArray())}.");
    }

    /// <summary>MaxPoolGradGrad's inputs: orig_output shaped as the pooling gives it, grad shaped as orig_input.</summary>
    internal static void CheckGradGradShapes(KernelContext ctx, in Window2D g, TensorValue x, TensorValue y, TensorValue grad)
    {
        CheckGradientShape(ctx, g, y);
        if (!grad.Dims.AsSpan().SequenceEqual(x.Dims))
            throw ctx.Error($"grad must have orig_input's shape {TensorShape.Format(x.Dims)}, got {TensorShape.Format(grad.Dims)}.");
    }

    /// <summary>A shape given as an int32 vector input (input_sizes, filter_sizes, orig_input_shape).</summary>
    internal static void ReadSizes(KernelContext ctx, int input, Span<int> dims)
    {
        var v = ctx.Input(input);
        if (v.ndim != 1 || v.size != 4)
            throw ctx.Error($"Input {input} must be a vector of 4 sizes, got shape {TensorShape.Format(v.Dims)}.");
        var d = v.Buffer<int>();
        for (int k = 0; k < 4; k++)
            dims[k] = d[k] >= 0 ? d[k] : throw ctx.Error($"Input {input} holds a negative size: [{string.Join(", ", d)}].");
    }

    /// <summary>Rows (b·P + p) of the column matrix for images [b0, b0 + nb); <paramref name="wide"/> splits the images across the cores.</summary>
    private static void Im2Col<T>(T[] x, T[] col, in Window2D g, int b0, int nb, bool wide) where T : unmanaged, INumber<T> =>
        ImageJob<T>.Run(x, col, g, b0, nb, toColumns: true, wide);

    private static void Col2Im<T>(T[] col, T[] dx, in Window2D g, int b0, int nb, bool wide) where T : unmanaged, INumber<T> =>
        ImageJob<T>.Run(dx, col, g, b0, nb, toColumns: false, wide);

    /// <summary>
    /// The one walk over the windows of images [from, to): for each output position, each tap (kh, kw) with its row
    /// of C channels in the columns, and where the tap reads the input (-1 in the padding). im2col and col2im are
    /// the two directions of this walk.
    /// </summary>
    private static void ForEachTap<T, TV>(T[] col, in Window2D g, int b0, int from, int to, ref TV v)
        where T : unmanaged, INumber<T> where TV : struct, ITap<T>
    {
        int C = g.C;
        for (int b = from; b < to; b++)
        {
            int image = (b0 + b) * g.InImage;
            for (int oh = 0; oh < g.OH; oh++)
                for (int ow = 0; ow < g.OW; ow++)
                {
                    var row = col.AsSpan(((b * g.OH + oh) * g.OW + ow) * g.K, g.K);
                    int left = ow * g.SW - g.PadLeft;
                    // NHWC with undilated columns: a filter row inside the image is KW·C contiguous values in the input
                    // and in the column row alike, one run instead of KW taps (25 one-value taps per position for a
                    // 5×5 filter over one channel).
                    bool runs = !g.Nchw && g.DW == 1 && left >= 0 && left + g.KW <= g.W;
                    for (int kh = 0, k = 0; kh < g.KH; kh++)
                    {
                        int ih = oh * g.SH - g.PadTop + kh * g.DH;
                        if (runs && (uint)ih < (uint)g.H)
                        {
                            v.Tap(row.Slice(k, g.KW * C), image + ih * g.InRow + left * g.InCol);
                            k += g.KW * C;
                            continue;
                        }
                        for (int kw = 0; kw < g.KW; kw++, k += C)
                        {
                            int iw = ow * g.SW - g.PadLeft + kw * g.DW;
                            bool outside = (uint)ih >= (uint)g.H || (uint)iw >= (uint)g.W;
                            v.Tap(row.Slice(k, C), outside ? -1 : image + ih * g.InRow + iw * g.InCol);
                        }
                    }
                }
        }
    }

    private interface ITap<T>
    {
        /// <summary>
        /// One tap: its C column entries, and the input offset of its first channel (-1: padding). On NHWC, also a run
        /// of adjacent taps inside the image: their values are contiguous on both sides.
        /// </summary>
        void Tap(Span<T> taps, int at);
    }

    /// <summary>im2col: copy the input under each tap into the columns (zeros in the padding).</summary>
    private readonly struct ToColumns<T>(T[] x, int channelStride, bool nchw) : ITap<T> where T : unmanaged, INumber<T>
    {
        public void Tap(Span<T> taps, int at)
        {
            if (at < 0) taps.Clear();
            else if (taps.Length == 1) taps[0] = x[at];
            else if (!nchw) x.AsSpan(at, taps.Length).CopyTo(taps);
            else for (int c = 0; c < taps.Length; c++) taps[c] = x[at + c * channelStride];
        }
    }

    /// <summary>col2im: add each tap back into the input position it was read from (taps in the padding are dropped).</summary>
    private readonly struct FromColumns<T>(T[] dx, int channelStride, bool nchw) : ITap<T> where T : unmanaged, INumber<T>
    {
        public void Tap(Span<T> taps, int at)
        {
            if (at < 0) return;
            if (taps.Length == 1) dx[at] += taps[0];
            else if (!nchw) TP.Add(dx.AsSpan(at, taps.Length), taps, dx.AsSpan(at, taps.Length));
            else for (int c = 0; c < taps.Length; c++) dx[at + c * channelStride] += taps[c];
        }
    }

    /// <summary>
    /// im2col or col2im over the images of a chunk, split across the cores: images are independent (each writes its
    /// own rows of the columns, or its own image of the gradient). One job object per thread, reused.
    /// </summary>
    private sealed class ImageJob<T> : IRangeWork where T : unmanaged, INumber<T>
    {
        [ThreadStatic] private static ImageJob<T>? current;
        private T[] _tensor = [], _col = [];
        private Window2D _g;
        private int _b0;
        private bool _toColumns;

        public static void Run(T[] tensor, T[] col, in Window2D g, int b0, int nb, bool toColumns, bool wide)
        {
            var job = current ??= new ImageJob<T>();
            (job._tensor, job._col, job._g, job._b0, job._toColumns) = (tensor, col, g, b0, toColumns);
            try
            {
                if (wide && nb > 1 && (long)nb * g.P * g.K >= 1 << 15) CpuParallel.For(nb, job);
                else job.Run(0, nb);
            }
            finally { (job._tensor, job._col) = ([], []); }
        }

        public void Run(int start, int end)
        {
            if (_toColumns)
            {
                var v = new ToColumns<T>(_tensor, _g.InChannel, _g.Nchw);
                ForEachTap(_col, _g, _b0, start, end, ref v);
            }
            else
            {
                var v = new FromColumns<T>(_tensor, _g.InChannel, _g.Nchw);
                ForEachTap(_col, _g, _b0, start, end, ref v);
            }
        }
    }

    /// <summary>Images [b0, b0 + nb) of an output-side tensor (O channels) from product rows [nb·P, O].</summary>
    private static void RowsToTensor<T>(T[] rows, T[] dst, in Window2D g, int b0, int nb)
    {
        if (!g.Nchw) { Array.Copy(rows, 0, dst, b0 * g.OutImage, nb * g.OutImage); return; }
        for (int b = 0; b < nb; b++)
            for (int p = 0; p < g.P; p++)
                for (int o = 0; o < g.O; o++)
                    dst[(b0 + b) * g.OutImage + o * g.P + p] = rows[(b * g.P + p) * g.O + o];
    }

    /// <summary>Product rows [nb·P, O] from images [b0, b0 + nb) of an output-side tensor.</summary>
    private static void TensorToRows<T>(T[] src, T[] rows, in Window2D g, int b0, int nb)
    {
        if (!g.Nchw) { Array.Copy(src, b0 * g.OutImage, rows, 0, nb * g.OutImage); return; }
        for (int b = 0; b < nb; b++)
            for (int p = 0; p < g.P; p++)
                for (int o = 0; o < g.O; o++)
                    rows[(b * g.P + p) * g.O + o] = src[(b0 + b) * g.OutImage + o * g.P + p];
    }



    /// <summary>Buffers a kernel keeps in its context's scratch from run to run, one set per part; they only grow.</summary>
    private sealed class Buffers<T>
    {
        private PartBuffers[] _parts = [];

        /// <summary>Part <paramref name="p"/>'s column matrix, product rows (NCHW) and partial filter gradient.</summary>
        public sealed class PartBuffers
        {
            public T[] Col = [], Rows = [], Sum = [];
        }

        public static Buffers<T> Of(KernelContext ctx) => ctx.Scratch as Buffers<T> ?? (Buffers<T>)(ctx.Scratch = new Buffers<T>());

        /// <summary>Grown only by the thread that starts a convolution, before its parts run.</summary>
        public PartBuffers Part(int p)
        {
            if (_parts.Length <= p)
            {
                var grown = new PartBuffers[Math.Max(p + 1, CpuParallel.Degree)];
                _parts.CopyTo(grown, 0);
                for (int i = _parts.Length; i < grown.Length; i++) grown[i] = new PartBuffers();
                _parts = grown;
            }
            return _parts[p];
        }

        public static T[] AtLeast(ref T[] buffer, int n)
        {
            if (buffer.Length < n) buffer = new T[n];
            return buffer;
        }
    }
}

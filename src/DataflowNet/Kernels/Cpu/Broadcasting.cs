namespace DataflowNet.Kernels.Cpu;

/// <summary>
/// NumPy broadcasting at run time. The binary driver walks the output in contiguous innermost runs and hands
/// each run to an operator as span-span, span-scalar or scalar-span, so vectorized TensorPrimitives calls do the work.
/// </summary>
internal static class Broadcasting
{
    public static int[] Shape(int[] a, int[] b, Func<string, Exception> error)
    {
        int rank = Math.Max(a.Length, b.Length);
        var dims = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i < rank - a.Length ? 1 : a[i - (rank - a.Length)];
            int db = i < rank - b.Length ? 1 : b[i - (rank - b.Length)];
            if (da != db && da != 1 && db != 1)
                throw error($"Incompatible shapes: {TensorShape.Format(a)} vs. {TensorShape.Format(b)}");
            dims[i] = da == 1 ? db : da;
        }
        return dims;
    }

    /// <summary>Element strides of <paramref name="dims"/> seen as <paramref name="outDims"/>: 0 on broadcast axes.</summary>
    public static int[] Strides(int[] dims, int[] outDims)
    {
        var strides = new int[outDims.Length];
        int acc = 1;
        for (int i = outDims.Length - 1; i >= 0; i--)
        {
            int k = i - (outDims.Length - dims.Length);
            int d = k >= 0 ? dims[k] : 1;
            strides[i] = d == 1 ? 0 : acc;
            acc *= d;
        }
        return strides;
    }

    /// <summary>A copy of <paramref name="src"/> expanded to <paramref name="outDims"/>.</summary>
    public static T[] To<T>(T[] src, int[] dims, int[] outDims)
    {
        int n = ShapeUtil.Count(outDims);
        if (dims.AsSpan().SequenceEqual(outDims)) return src;
        var dst = new T[n];
        if (src.Length == 1) { Array.Fill(dst, src[0]); return dst; }
        var strides = Strides(dims, outDims);
        int rank = outDims.Length;
        var idx = new int[rank];
        int inner = outDims[^1], innerStride = strides[^1];
        for (int o = 0; o < n; o += inner)
        {
            int s = 0;
            for (int k = 0; k < rank - 1; k++) s += idx[k] * strides[k];
            if (innerStride == 1) Array.Copy(src, s, dst, o, inner);
            else Array.Fill(dst, src[s], o, inner);
            for (int k = rank - 2; k >= 0; k--)
            {
                if (++idx[k] < outDims[k]) break;
                idx[k] = 0;
            }
        }
        return dst;
    }

    /// <summary>Runs <paramref name="op"/> over the broadcast of x and y into d, one contiguous run at a time.</summary>
    public static void Run<TIn, TOut, TOp>(TIn[] x, int[] xDims, TIn[] y, int[] yDims, TOut[] d, int[] outDims, ref TOp op)
        where TOp : struct, IRunOperator<TIn, TOut>
    {
        if (d.Length == 0) return;
        if (xDims.AsSpan().SequenceEqual(yDims)) { op.VV(x, y, d); return; }
        if (y.Length == 1 && x.Length == d.Length) { op.VS(x, y[0], d); return; }
        if (x.Length == 1 && y.Length == d.Length) { op.SV(x[0], y, d); return; }

        // Collapse adjacent output axes that broadcast the same way, so runs are as long as possible.
        var xs = Strides(xDims, outDims);
        var ys = Strides(yDims, outDims);
        var dims = new List<int>();
        var xst = new List<int>();
        var yst = new List<int>();
        for (int i = 0; i < outDims.Length; i++)
        {
            if (outDims[i] == 1) continue;
            if (dims.Count > 0 && (xst[^1] == 0) == (xs[i] == 0) && (yst[^1] == 0) == (ys[i] == 0))
            {
                // merge axis i into the previous one (strides of the inner axis stay the unit)
                dims[^1] *= outDims[i];
                xst[^1] = xs[i];
                yst[^1] = ys[i];
                continue;
            }
            dims.Add(outDims[i]); xst.Add(xs[i]); yst.Add(ys[i]);
        }
        // Recompute strides for merged axes from the merged dims.
        int rank = dims.Count;
        var xStride = new int[rank];
        var yStride = new int[rank];
        int ax = 1, ay = 1;
        for (int i = rank - 1; i >= 0; i--)
        {
            xStride[i] = xst[i] == 0 ? 0 : ax;
            yStride[i] = yst[i] == 0 ? 0 : ay;
            if (xst[i] != 0) ax *= dims[i];
            if (yst[i] != 0) ay *= dims[i];
        }
        int inner = dims[^1];
        var idx = new int[rank];
        for (int o = 0; o < d.Length; o += inner)
        {
            int xo = 0, yo = 0;
            for (int k = 0; k < rank - 1; k++) { xo += idx[k] * xStride[k]; yo += idx[k] * yStride[k]; }
            var dst = d.AsSpan(o, inner);
            if (xStride[^1] != 0 && yStride[^1] != 0) op.VV(x.AsSpan(xo, inner), y.AsSpan(yo, inner), dst);
            else if (xStride[^1] != 0) op.VS(x.AsSpan(xo, inner), y[yo], dst);
            else op.SV(x[xo], y.AsSpan(yo, inner), dst);
            for (int k = rank - 2; k >= 0; k--)
            {
                if (++idx[k] < dims[k]) break;
                idx[k] = 0;
            }
        }
    }
}

/// <summary>A binary operator applied to one contiguous run: vector-vector, vector-scalar or scalar-vector.</summary>
internal interface IRunOperator<TIn, TOut>
{
    void VV(ReadOnlySpan<TIn> x, ReadOnlySpan<TIn> y, Span<TOut> d);
    void VS(ReadOnlySpan<TIn> x, TIn y, Span<TOut> d);
    void SV(TIn x, ReadOnlySpan<TIn> y, Span<TOut> d);
}

using System.Numerics;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace DataflowNet.Kernels.Cpu;

/// <summary>Sum, Mean, Max, Min, Prod, All, Any over any axes, and ArgMax/ArgMin. Reduced axes are moved last so each output element reduces one contiguous row.</summary>
internal static class ReductionKernels
{
    internal enum Kind { Sum, Mean, Max, Min, Prod }

    public static void Register(KernelRegistry r)
    {
        r.Register("Sum", DataTypeExtensions.Numeric, Reduce(Kind.Sum));
        r.Register("Mean", DataTypeExtensions.Numeric, Reduce(Kind.Mean));
        r.Register("Max", DataTypeExtensions.Numeric, Reduce(Kind.Max));
        r.Register("Min", DataTypeExtensions.Numeric, Reduce(Kind.Min));
        r.Register("Prod", DataTypeExtensions.Numeric, Reduce(Kind.Prod));
        r.Register("All", [DataType.Bool], ReduceBool(all: true));
        r.Register("Any", [DataType.Bool], ReduceBool(all: false));
        r.Register("ArgMax", DataTypeExtensions.Numeric, Arg(max: true));
        r.Register("ArgMin", DataTypeExtensions.Numeric, Arg(max: false));
    }

    /// <summary>
    /// Which axes a reduction covers (from its axes input, read without allocating) and its output dims. The input
    /// is then seen as [outer, reduced, inner]: when the reduced axes are contiguous no data moves (rows when they
    /// are trailing, columns when they are leading); otherwise they are first permuted to the end.
    /// </summary>
    private ref struct Layout3
    {
        public int Outer, Reduced, Inner;
        public bool Contiguous;
    }

    private static Layout3 Analyse(KernelContext ctx, TensorValue x, Span<bool> reduce, Span<int> outDims, out int outRank)
    {
        var axes = ctx.Input(1);
        int rank = x.ndim;
        for (int i = 0; i < axes.size; i++) ShapeUtil.MarkReducedAxis((int)axes.LongAt(i), reduce, ctx.Errors);
        bool keep = ctx.Attr<bool>("keep_dims");
        outRank = 0;
        for (int i = 0; i < rank; i++)
            if (!reduce[i]) outDims[outRank++] = x.Dims[i];
            else if (keep) outDims[outRank++] = 1;
        int first = -1, last = -1, count = 0;
        for (int i = 0; i < rank; i++)
            if (reduce[i] && x.Dims[i] != 1) { if (first < 0) first = i; last = i; count++; }
        var l = new Layout3 { Outer = 1, Reduced = 1, Inner = 1, Contiguous = count == 0 || last - first + 1 == count };
        if (!l.Contiguous) return l;
        if (count == 0) { l.Outer = x.size; return l; }
        for (int i = 0; i < first; i++) l.Outer *= x.Dims[i];
        for (int i = first; i <= last; i++) l.Reduced *= x.Dims[i];
        for (int i = last + 1; i < rank; i++) l.Inner *= x.Dims[i];
        return l;
    }

    /// <summary>The input permuted so the reduced axes come last (the general, allocating case).</summary>
    private static T[] PermuteReducedLast<T>(TensorValue x, ReadOnlySpan<bool> reduce, out int outer, out int row)
    {
        var perm = new int[x.ndim];
        int k = 0;
        outer = 1; row = 1;
        for (int i = 0; i < x.ndim; i++) if (!reduce[i]) { perm[k++] = i; outer *= x.Dims[i]; }
        for (int i = 0; i < x.ndim; i++) if (reduce[i]) { perm[k++] = i; row *= x.Dims[i]; }
        return Layout.Permute(x.Buffer<T>(), x.Dims, perm);
    }

    private static Kernel Reduce(Kind kind) => ctx =>
    {
        var action = new ReduceAction(ctx, kind);
        try { TypeSwitch.Numeric(ctx.Input(0).dtype, ref action); }
        catch (DivideByZeroException)
        {
            // An integer mean divides in its own type, as TensorFlow 1's: a uint8 count of 256, 512… wraps to 0.
            var x = ctx.Input(0);
            throw ctx.Error($"Mean of {x.dtype.Name()} {TensorShape.Format(x.Dims)}: the count of reduced values wraps to 0 in {x.dtype.Name()}, " +
                            "which the mean divides in; cast to a wider type first.");
        }
    };

    private readonly struct ReduceAction(KernelContext ctx, Kind kind) : INumericAction
    {
        public void Invoke<T>() where T : unmanaged, INumber<T>
        {
            var x = ctx.Input(0);
            Span<bool> reduce = stackalloc bool[x.ndim];
            Span<int> outDims = stackalloc int[x.ndim];
            var l = Analyse(ctx, x, reduce, outDims, out int outRank);
            var output = ctx.AllocateUninitializedOutput(0, outDims[..outRank]);
            var d = output.Buffer<T>();
            var src = x.Buffer<T>();
            // An empty input: nothing to reduce into an empty output, or the reduction of nothing into each element.
            if (x.size == 0)
            {
                d.AsSpan(0, output.size).Fill(Empty<T>());
                return;
            }
            if (l.Contiguous && l.Inner > 1)
            {
                // Leading or middle axes: accumulate whole rows of the inner block, vectorized.
                for (int o = 0; o < l.Outer; o++)
                {
                    var acc = d.AsSpan(o * l.Inner, l.Inner);
                    if (l.Reduced == 0) { acc.Fill(Empty<T>()); continue; }
                    src.AsSpan(o * l.Reduced * l.Inner, l.Inner).CopyTo(acc);
                    for (int r = 1; r < l.Reduced; r++)
                    {
                        var rowSpan = src.AsSpan((o * l.Reduced + r) * l.Inner, l.Inner);
                        switch (kind)
                        {
                            case Kind.Sum or Kind.Mean: TP.Add<T>(acc, rowSpan, acc); break;
                            case Kind.Prod: TP.Multiply<T>(acc, rowSpan, acc); break;
                            case Kind.Max: TP.Max<T>(acc, rowSpan, acc); break;
                            default: TP.Min<T>(acc, rowSpan, acc); break;
                        }
                    }
                    if (kind == Kind.Mean) TP.Divide<T>(acc, T.CreateTruncating(l.Reduced), acc);
                }
                return;
            }
            T[] rows = src;
            int outer = l.Outer, row = l.Reduced;
            if (!l.Contiguous) rows = PermuteReducedLast<T>(x, reduce, out outer, out row);
            for (int o = 0; o < outer; o++) d[o] = Row(rows.AsSpan(o * row, row));
        }

        private T Row<T>(ReadOnlySpan<T> span) where T : unmanaged, INumber<T> => span.Length == 0 ? Empty<T>() : kind switch
        {
            Kind.Sum => TP.Sum(span),
            Kind.Mean => TP.Sum(span) / T.CreateTruncating(span.Length),
            Kind.Prod => TP.Product(span),
            Kind.Max => TP.Max(span),
            _ => TP.Min(span),
        };

        /// <summary>The reduction of nothing: 0 for sums, 1 for products, NaN for a mean, ∓inf for max/min.</summary>
        private T Empty<T>() where T : unmanaged, INumber<T> => kind switch
        {
            Kind.Sum => T.Zero,
            Kind.Prod => T.One,
            Kind.Mean => T.CreateTruncating(double.NaN),
            Kind.Max => T.CreateSaturating(double.NegativeInfinity),
            _ => T.CreateSaturating(double.PositiveInfinity),
        };
    }

    private static (T[] Rows, int Outer, int Row, int[] OutDims) Prepare<T>(KernelContext ctx, TensorValue x)
    {
        Span<bool> reduce = stackalloc bool[x.ndim];
        Span<int> outDims = stackalloc int[x.ndim];
        Analyse(ctx, x, reduce, outDims, out int outRank);
        var rows = PermuteReducedLast<T>(x, reduce, out int outer, out int row);
        return (rows, outer, row, outDims[..outRank].ToArray());
    }

    private static Kernel ReduceBool(bool all) => ctx =>
    {
        var (rows, outer, row, outDims) = Prepare<bool>(ctx, ctx.Input(0));
        var d = ctx.AllocateOutput(0, outDims).Buffer<bool>();
        for (int o = 0; o < outer; o++)
        {
            var span = rows.AsSpan(o * row, row);
            d[o] = all ? !span.Contains(false) : span.Contains(true);
        }
    };

    private static Kernel Arg(bool max) => ctx =>
    {
        var action = new ArgAction(ctx, max);
        TypeSwitch.Numeric(ctx.Input(0).dtype, ref action);
    };

    private readonly struct ArgAction(KernelContext ctx, bool max) : INumericAction
    {
        public void Invoke<T>() where T : unmanaged, INumber<T>
        {
            var x = ctx.Input(0);
            int axis = ShapeUtil.NormalizeAxis((int)ctx.Input(1).item<long>(), x.ndim, ctx.Errors);
            var (outer, n, inner) = Layout.Around(x.Dims, axis);
            if (n == 0) throw ctx.Error($"Reduction axis {axis} is empty in shape {TensorShape.Format(x.Dims)}.");
            var perm = Enumerable.Range(0, x.ndim).Where(i => i != axis).Append(axis).ToArray();
            var rows = inner == 1 ? x.Buffer<T>() : Layout.Permute(x.Buffer<T>(), x.Dims, perm);
            var outDims = x.Dims.Where((_, i) => i != axis).ToArray();
            var result = new long[outer * inner];
            for (int o = 0; o < result.Length; o++)
            {
                var span = rows.AsSpan(o * n, n);
                result[o] = FirstExtreme<T>(span, greater: max);
            }
            var outType = ctx.OutputType(0);
            ctx.SetOutput(0, outType == DataType.Int64
                ? new TensorValue(DataType.Int64, outDims, result)
                : new TensorValue(DataType.Int32, outDims, result.Select(v => (int)v).ToArray()));
        }
    }

    /// <summary>
    /// TensorFlow's arg max/min: the index of the first value strictly beyond every earlier one, starting from the
    /// type's lowest (highest) at index 0. A NaN is never taken (no comparison with it holds), and of equal values
    /// the first wins, -0 before +0 (TensorPrimitives.IndexOfMax takes the first NaN and counts +0 above -0).
    /// </summary>
    private static long FirstExtreme<T>(ReadOnlySpan<T> span, bool greater) where T : unmanaged, INumber<T>
    {
        if (typeof(T) != typeof(float) && typeof(T) != typeof(double) && typeof(T) != typeof(Half))
            return greater ? TP.IndexOfMax(span) : TP.IndexOfMin(span);
        long at = 0;
        T best = span[0];
        bool found = !T.IsNaN(best);
        for (int i = 1; i < span.Length; i++)
        {
            var v = span[i];
            if (!found ? !T.IsNaN(v) : greater ? v > best : v < best) (best, at, found) = (v, i, true);
        }
        return at;
    }
}

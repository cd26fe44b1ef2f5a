using System.Numerics;

namespace DataflowNet.Kernels.Cpu;

/// <summary>Turns the operator structs into kernels: one generic path per operator family, dispatched on dtype once per call.</summary>
internal static class ElementwiseKernels
{
    public static void Register(KernelRegistry r)
    {
        r.Register("AddV2", DataTypeExtensions.Numeric, NumericBinary<Ops.Add>());
        var numericAdd = NumericBinary<Ops.Add>();
        r.Register("Add", [.. DataTypeExtensions.Numeric, DataType.String], ctx =>
        {
            if (ctx.Input(0).dtype != DataType.String) { numericAdd(ctx); return; }
            // Strings concatenate, broadcasting as numbers add.
            var d = BinaryOutput(ctx, out var x, out var y);
            var xs = Broadcasting.To(x.Buffer<string>(), x.Dims, d.Dims);
            var ys = Broadcasting.To(y.Buffer<string>(), y.Dims, d.Dims);
            var result = d.Buffer<string>();
            for (int i = 0; i < result.Length; i++) result[i] = string.Concat(xs[i], ys[i]);
        });
        r.Register("Sub", DataTypeExtensions.Numeric, NumericBinary<Ops.Sub>());
        r.Register("Mul", DataTypeExtensions.Numeric, NumericBinary<Ops.Mul>());
        r.Register("Maximum", DataTypeExtensions.Numeric, NumericBinary<Ops.Maximum>());
        r.Register("Minimum", DataTypeExtensions.Numeric, NumericBinary<Ops.Minimum>());
        r.Register("SquaredDifference", DataTypeExtensions.Numeric, NumericBinary<Ops.SquaredDifference>());
        r.Register("FloorDiv", DataTypeExtensions.Numeric, NumericBinary<Ops.FloorDiv>());
        r.Register("FloorMod", DataTypeExtensions.Numeric, NumericBinary<Ops.FloorMod>());
        r.Register("RealDiv", DataTypeExtensions.Floating, FloatBinary<Ops.RealDiv>());
        var floatPow = FloatBinary<Ops.Pow>();
        var integerPow = NumericBinary<Ops.IntegerPow>();
        r.Register("Pow", MathOps.PowTypes, ctx =>
        {
            if (ctx.Input(0).dtype.IsFloating()) { floatPow(ctx); return; }
            try { integerPow(ctx); }
            catch (ArgumentOutOfRangeException) { throw ctx.Error("Integers to negative integer powers are not allowed."); }
        });

        r.Register("Less", DataTypeExtensions.Numeric, Compare<Ops.Less>());
        r.Register("LessEqual", DataTypeExtensions.Numeric, Compare<Ops.LessEqual>());
        r.Register("Greater", DataTypeExtensions.Numeric, Compare<Ops.Greater>());
        r.Register("GreaterEqual", DataTypeExtensions.Numeric, Compare<Ops.GreaterEqual>());
        r.Register("Equal", null, Equality(equal: true));
        r.Register("NotEqual", null, Equality(equal: false));
        r.Register("LogicalAnd", [DataType.Bool], Logical(and: true));
        r.Register("LogicalOr", [DataType.Bool], Logical(and: false));
        r.Register("LogicalNot", [DataType.Bool], ctx =>
        {
            var x = ctx.Input(0).Buffer<bool>();
            var d = ctx.AllocateUninitializedOutput(0, ctx.Input(0).Dims).Buffer<bool>();
            for (int i = 0; i < x.Length; i++) d[i] = !x[i];
        });

        r.Register("Neg", DataTypeExtensions.Numeric, NumericUnary<Ops.Neg>());
        r.Register("Abs", DataTypeExtensions.Numeric, NumericUnary<Ops.Abs>());
        r.Register("Sign", DataTypeExtensions.Numeric, NumericUnary<Ops.Sign>());
        r.Register("Square", DataTypeExtensions.Numeric, NumericUnary<Ops.Square>());
        r.Register("Relu", DataTypeExtensions.Numeric, NumericUnary<Ops.Relu>());
        r.Register("Relu6", DataTypeExtensions.Numeric, NumericUnary<Ops.Relu6>());
        r.Register("Sqrt", DataTypeExtensions.Floating, FloatUnary<Ops.Sqrt>());
        r.Register("Rsqrt", DataTypeExtensions.Floating, FloatUnary<Ops.Rsqrt>());
        r.Register("Exp", DataTypeExtensions.Floating, FloatUnary<Ops.Exp>());
        r.Register("Log", DataTypeExtensions.Floating, FloatUnary<Ops.Log>());
        r.Register("Log1p", DataTypeExtensions.Floating, FloatUnary<Ops.Log1p>());
        r.Register("Sin", DataTypeExtensions.Floating, FloatUnary<Ops.Sin>());
        r.Register("Cos", DataTypeExtensions.Floating, FloatUnary<Ops.Cos>());
        r.Register("Tanh", DataTypeExtensions.Floating, FloatUnary<Ops.Tanh>());
        r.Register("Sigmoid", DataTypeExtensions.Floating, FloatUnary<Ops.Sigmoid>());
        r.Register("Reciprocal", DataTypeExtensions.Floating, FloatUnary<Ops.Reciprocal>());
        r.Register("Elu", DataTypeExtensions.Floating, FloatUnary<Ops.Elu>());
        r.Register("Softplus", DataTypeExtensions.Floating, FloatUnary<Ops.Softplus>());
    }

    private static TensorValue BinaryOutput(KernelContext ctx, out TensorValue x, out TensorValue y)
    {
        x = ctx.Input(0);
        y = ctx.Input(1);
        Span<int> dims = stackalloc int[Math.Max(x.ndim, y.ndim)];
        Broadcasting.Shape(x.Dims, y.Dims, dims, ctx.Errors);
        return ctx.AllocateUninitializedOutput(0, dims);
    }

    private static Kernel NumericBinary<TOp>() where TOp : struct, INumericBinary<TOp> => ctx =>
    {
        var d = BinaryOutput(ctx, out var x, out var y);
        var action = new NumericBinaryAction<TOp>(x, y, d);
        try { TypeSwitch.Numeric(x.dtype, ref action); }
        catch (DivideByZeroException) { throw ctx.Error("Integer division by zero."); }
    };

    private static Kernel FloatBinary<TOp>() where TOp : struct, IFloatBinary<TOp> => ctx =>
    {
        var d = BinaryOutput(ctx, out var x, out var y);
        var action = new FloatBinaryAction<TOp>(x, y, d);
        TypeSwitch.Float(x.dtype, ref action);
    };

    private static Kernel Compare<TOp>() where TOp : struct, ICompare<TOp> => ctx =>
    {
        var d = BinaryOutput(ctx, out var x, out var y);
        var action = new CompareAction<TOp>(x, y, d);
        TypeSwitch.Numeric(x.dtype, ref action);
    };

    private static Kernel Equality(bool equal) => ctx =>
    {
        var d = BinaryOutput(ctx, out var x, out var y);
        if (x.dtype.IsNumeric())
        {
            if (equal) { var a = new CompareAction<Ops.Equal>(x, y, d); TypeSwitch.Numeric(x.dtype, ref a); }
            else { var a = new CompareAction<Ops.NotEqual>(x, y, d); TypeSwitch.Numeric(x.dtype, ref a); }
            return;
        }
        var any = new EqualityAction(x, y, d, equal);
        TypeSwitch.Any(x.dtype, ref any);
    };

    private static Kernel Logical(bool and) => ctx =>
    {
        var d = BinaryOutput(ctx, out var x, out var y);
        var op = new LogicalRun(and);
        Broadcasting.Run(x.Buffer<bool>(), x.Dims, y.Buffer<bool>(), y.Dims, d.Buffer<bool>(), d.Dims, ref op);
    };

    private static Kernel NumericUnary<TOp>() where TOp : struct, INumericUnary<TOp> => ctx =>
    {
        var x = ctx.Input(0);
        var action = new NumericUnaryAction<TOp>(x, ctx.AllocateUninitializedOutput(0, x.Dims));
        TypeSwitch.Numeric(x.dtype, ref action);
    };

    private static Kernel FloatUnary<TOp>() where TOp : struct, IFloatUnary<TOp> => ctx =>
    {
        var x = ctx.Input(0);
        var action = new FloatUnaryAction<TOp>(x, ctx.AllocateUninitializedOutput(0, x.Dims));
        TypeSwitch.Float(x.dtype, ref action);
    };

    // ----- dtype dispatch -----
    private readonly struct NumericBinaryAction<TOp>(TensorValue x, TensorValue y, TensorValue d) : INumericAction
        where TOp : struct, INumericBinary<TOp>
    {
        public void Invoke<T>() where T : unmanaged, INumber<T>
        {
            var run = new NumericRun<T, TOp>();
            Broadcasting.Run(x.Buffer<T>(), x.Dims, y.Buffer<T>(), y.Dims, d.Buffer<T>(), d.Dims, ref run);
        }
    }

    private readonly struct FloatBinaryAction<TOp>(TensorValue x, TensorValue y, TensorValue d) : IFloatAction
        where TOp : struct, IFloatBinary<TOp>
    {
        public void Invoke<T>() where T : unmanaged, IFloatingPointIeee754<T>
        {
            var run = new FloatRun<T, TOp>();
            Broadcasting.Run(x.Buffer<T>(), x.Dims, y.Buffer<T>(), y.Dims, d.Buffer<T>(), d.Dims, ref run);
        }
    }

    private readonly struct CompareAction<TOp>(TensorValue x, TensorValue y, TensorValue d) : INumericAction
        where TOp : struct, ICompare<TOp>
    {
        public void Invoke<T>() where T : unmanaged, INumber<T>
        {
            var run = new CompareRun<T, TOp>();
            Broadcasting.Run(x.Buffer<T>(), x.Dims, y.Buffer<T>(), y.Dims, d.Buffer<bool>(), d.Dims, ref run);
        }
    }

    private readonly struct EqualityAction(TensorValue x, TensorValue y, TensorValue d, bool equal) : IAnyAction
    {
        public void Invoke<T>()
        {
            var run = new EqualityRun<T>(equal);
            Broadcasting.Run(x.Buffer<T>(), x.Dims, y.Buffer<T>(), y.Dims, d.Buffer<bool>(), d.Dims, ref run);
        }
    }

    private readonly struct NumericUnaryAction<TOp>(TensorValue x, TensorValue d) : INumericAction where TOp : struct, INumericUnary<TOp>
    {
        public void Invoke<T>() where T : unmanaged, INumber<T> => TOp.Apply<T>(x.Buffer<T>(), d.Buffer<T>());
    }

    private readonly struct FloatUnaryAction<TOp>(TensorValue x, TensorValue d) : IFloatAction where TOp : struct, IFloatUnary<TOp>
    {
        public void Invoke<T>() where T : unmanaged, IFloatingPointIeee754<T> => TOp.Apply<T>(x.Buffer<T>(), d.Buffer<T>());
    }

    // ----- run operators for the broadcasting driver -----
    internal struct NumericRun<T, TOp> : IRunOperator<T, T> where T : unmanaged, INumber<T> where TOp : struct, INumericBinary<TOp>
    {
        public void VV(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) => TOp.VV(x, y, d);
        public void VS(ReadOnlySpan<T> x, T y, Span<T> d) => TOp.VS(x, y, d);
        public void SV(T x, ReadOnlySpan<T> y, Span<T> d) => TOp.SV(x, y, d);
    }

    private struct FloatRun<T, TOp> : IRunOperator<T, T> where T : unmanaged, IFloatingPointIeee754<T> where TOp : struct, IFloatBinary<TOp>
    {
        public void VV(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) => TOp.VV(x, y, d);
        public void VS(ReadOnlySpan<T> x, T y, Span<T> d) => TOp.VS(x, y, d);
        public void SV(T x, ReadOnlySpan<T> y, Span<T> d) => TOp.SV(x, y, d);
    }

    private struct CompareRun<T, TOp> : IRunOperator<T, bool> where T : unmanaged, INumber<T> where TOp : struct, ICompare<TOp>
    {
        public void VV(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<bool> d) { for (int i = 0; i < d.Length; i++) d[i] = TOp.Apply(x[i], y[i]); }
        public void VS(ReadOnlySpan<T> x, T y, Span<bool> d) { for (int i = 0; i < d.Length; i++) d[i] = TOp.Apply(x[i], y); }
        public void SV(T x, ReadOnlySpan<T> y, Span<bool> d) { for (int i = 0; i < d.Length; i++) d[i] = TOp.Apply(x, y[i]); }
    }

    private struct EqualityRun<T>(bool equal) : IRunOperator<T, bool>
    {
        private static readonly EqualityComparer<T> Cmp = EqualityComparer<T>.Default;
        public void VV(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<bool> d) { for (int i = 0; i < d.Length; i++) d[i] = Cmp.Equals(x[i], y[i]) == equal; }
        public void VS(ReadOnlySpan<T> x, T y, Span<bool> d) { for (int i = 0; i < d.Length; i++) d[i] = Cmp.Equals(x[i], y) == equal; }
        public void SV(T x, ReadOnlySpan<T> y, Span<bool> d) { for (int i = 0; i < d.Length; i++) d[i] = Cmp.Equals(x, y[i]) == equal; }
    }

    private struct LogicalRun(bool and) : IRunOperator<bool, bool>
    {
        public void VV(ReadOnlySpan<bool> x, ReadOnlySpan<bool> y, Span<bool> d) { for (int i = 0; i < d.Length; i++) d[i] = and ? x[i] & y[i] : x[i] | y[i]; }
        public void VS(ReadOnlySpan<bool> x, bool y, Span<bool> d) { for (int i = 0; i < d.Length; i++) d[i] = and ? x[i] & y : x[i] | y; }
        public void SV(bool x, ReadOnlySpan<bool> y, Span<bool> d) { for (int i = 0; i < d.Length; i++) d[i] = and ? x & y[i] : x | y[i]; }
    }
}

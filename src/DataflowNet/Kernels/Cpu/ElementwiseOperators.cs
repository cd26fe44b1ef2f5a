using System.Numerics;
using System.Numerics.Tensors;
using TP = System.Numerics.Tensors.TensorPrimitives;

namespace DataflowNet.Kernels.Cpu;

// Operators in the style of System.Numerics.Tensors: a small struct with a scalar Apply and span forms. The span
// forms default to a scalar loop; operators that TensorPrimitives covers override them with its vectorized calls.
// One generic driver (Broadcasting.Run) serves every operator and element type, with no virtual calls.

/// <summary>A binary operator over any numeric element type.</summary>
internal interface INumericBinary<TSelf> where TSelf : INumericBinary<TSelf>
{
    static abstract T Apply<T>(T x, T y) where T : unmanaged, INumber<T>;
    static virtual void VV<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T>
    { for (int i = 0; i < d.Length; i++) d[i] = TSelf.Apply(x[i], y[i]); }
    static virtual void VS<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, INumber<T>
    { for (int i = 0; i < d.Length; i++) d[i] = TSelf.Apply(x[i], y); }
    static virtual void SV<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T>
    { for (int i = 0; i < d.Length; i++) d[i] = TSelf.Apply(x, y[i]); }
}

/// <summary>A binary operator over floating-point element types.</summary>
internal interface IFloatBinary<TSelf> where TSelf : IFloatBinary<TSelf>
{
    static abstract void VV<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>;
    static abstract void VS<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>;
    static abstract void SV<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>;
}

/// <summary>An ordering comparison over numeric types, giving bool.</summary>
internal interface ICompare<TSelf> where TSelf : ICompare<TSelf>
{
    static abstract bool Apply<T>(T x, T y) where T : unmanaged, INumber<T>;
}

/// <summary>A unary operator over numeric types.</summary>
internal interface INumericUnary<TSelf> where TSelf : INumericUnary<TSelf>
{
    static abstract void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, INumber<T>;
}

/// <summary>A unary operator over floating-point types.</summary>
internal interface IFloatUnary<TSelf> where TSelf : IFloatUnary<TSelf>
{
    static abstract void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>;
}

internal static class Ops
{
    // ----- numeric binary -----
    public struct Add : INumericBinary<Add>
    {
        public static T Apply<T>(T x, T y) where T : unmanaged, INumber<T> => x + y;
        public static void VV<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TP.Add(x, y, d);
        public static void VS<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, INumber<T> => TP.Add(x, y, d);
        public static void SV<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TP.Add(y, x, d);
    }
    public struct Sub : INumericBinary<Sub>
    {
        public static T Apply<T>(T x, T y) where T : unmanaged, INumber<T> => x - y;
        public static void VV<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TP.Subtract(x, y, d);
        public static void VS<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, INumber<T> => TP.Subtract(x, y, d);
        public static void SV<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TP.Subtract(x, y, d);
    }
    public struct Mul : INumericBinary<Mul>
    {
        public static T Apply<T>(T x, T y) where T : unmanaged, INumber<T> => x * y;
        public static void VV<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TP.Multiply(x, y, d);
        public static void VS<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, INumber<T> => TP.Multiply(x, y, d);
        public static void SV<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TP.Multiply(y, x, d);
    }
    public struct Maximum : INumericBinary<Maximum>
    {
        public static T Apply<T>(T x, T y) where T : unmanaged, INumber<T> => T.Max(x, y);
        public static void VV<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TP.Max(x, y, d);
        public static void VS<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, INumber<T> => TP.Max(x, y, d);
        public static void SV<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TP.Max(y, x, d);
    }
    public struct Minimum : INumericBinary<Minimum>
    {
        public static T Apply<T>(T x, T y) where T : unmanaged, INumber<T> => T.Min(x, y);
        public static void VV<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TP.Min(x, y, d);
        public static void VS<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, INumber<T> => TP.Min(x, y, d);
        public static void SV<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, INumber<T> => TP.Min(y, x, d);
    }
    public struct SquaredDifference : INumericBinary<SquaredDifference>
    {
        public static T Apply<T>(T x, T y) where T : unmanaged, INumber<T> => (x - y) * (x - y);
    }
    /// <summary>Python's floor division: rounds toward negative infinity.</summary>
    public struct FloorDiv : INumericBinary<FloorDiv>
    {
        public static T Apply<T>(T x, T y) where T : unmanaged, INumber<T>
        {
            if (typeof(T) == typeof(float)) return T.CreateTruncating(MathF.Floor(float.CreateTruncating(x) / float.CreateTruncating(y)));
            if (typeof(T) == typeof(double)) return T.CreateTruncating(Math.Floor(double.CreateTruncating(x) / double.CreateTruncating(y)));
            if (T.IsZero(y)) throw new DivideByZeroException();
            var q = x / y;
            return !T.IsZero(x - q * y) && (T.IsNegative(x) != T.IsNegative(y)) ? q - T.One : q;
        }
    }
    /// <summary>
    /// Integer power by squaring, wrapping on overflow as TensorFlow's (two's complement multiplication); 0^0 = 1.
    /// A negative exponent throws ArgumentOutOfRangeException, which the Pow kernel reports as TensorFlow does.
    /// </summary>
    public struct IntegerPow : INumericBinary<IntegerPow>
    {
        public static T Apply<T>(T x, T y) where T : unmanaged, INumber<T>
        {
            if (T.IsNegative(y)) throw new ArgumentOutOfRangeException(nameof(y));
            T result = T.One, two = T.One + T.One;
            for (; !T.IsZero(y); y /= two, x = unchecked(x * x))
                if (T.IsOddInteger(y)) result = unchecked(result * x);
            return result;
        }
    }
    /// <summary>Python's modulo: the result takes the divisor's sign.</summary>
    public struct FloorMod : INumericBinary<FloorMod>
    {
        public static T Apply<T>(T x, T y) where T : unmanaged, INumber<T>
        {
            if (T.IsZero(y) && !(typeof(T) == typeof(float) || typeof(T) == typeof(double))) throw new DivideByZeroException();
            var r = x % y;
            return !T.IsZero(r) && (T.IsNegative(r) != T.IsNegative(y)) ? r + y : r;
        }
    }

    // ----- floating binary -----
    public struct RealDiv : IFloatBinary<RealDiv>
    {
        public static void VV<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TP.Divide(x, y, d);
        public static void VS<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TP.Divide(x, y, d);
        public static void SV<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TP.Divide(x, y, d);
    }
    public struct Pow : IFloatBinary<Pow>
    {
        public static void VV<T>(ReadOnlySpan<T> x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TP.Pow(x, y, d);
        public static void VS<T>(ReadOnlySpan<T> x, T y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TP.Pow(x, y, d);
        public static void SV<T>(T x, ReadOnlySpan<T> y, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TP.Pow(x, y, d);
    }

    // ----- comparisons -----
    public struct Less : ICompare<Less> { public static bool Apply<T>(T x, T y) where T : unmanaged, INumber<T> => x < y; }
    public struct LessEqual : ICompare<LessEqual> { public static bool Apply<T>(T x, T y) where T : unmanaged, INumber<T> => x <= y; }
    public struct Greater : ICompare<Greater> { public static bool Apply<T>(T x, T y) where T : unmanaged, INumber<T> => x > y; }
    public struct GreaterEqual : ICompare<GreaterEqual> { public static bool Apply<T>(T x, T y) where T : unmanaged, INumber<T> => x >= y; }
    public struct Equal : ICompare<Equal> { public static bool Apply<T>(T x, T y) where T : unmanaged, INumber<T> => x == y; }
    public struct NotEqual : ICompare<NotEqual> { public static bool Apply<T>(T x, T y) where T : unmanaged, INumber<T> => x != y; }

    // ----- numeric unary -----
    public struct Neg : INumericUnary<Neg> { public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, INumber<T> => TP.Negate(x, d); }
    /// <summary>|x|; a signed integer's minimum wraps to itself, as in TensorFlow's C++ (TensorPrimitives.Abs throws there).</summary>
    public struct Abs : INumericUnary<Abs>
    {
        public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, INumber<T>
        {
            if (typeof(T) != typeof(int) && typeof(T) != typeof(long) && typeof(T) != typeof(short) && typeof(T) != typeof(sbyte))
            {
                TP.Abs(x, d);
                return;
            }
            for (int i = 0; i < x.Length; i++) d[i] = T.IsNegative(x[i]) ? T.Zero - x[i] : x[i]; // unchecked: MinValue stays
        }
    }
    public struct Square : INumericUnary<Square> { public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, INumber<T> => TP.Multiply(x, x, d); }
    public struct Relu : INumericUnary<Relu> { public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, INumber<T> => TP.Max(x, T.Zero, d); }
    public struct Relu6 : INumericUnary<Relu6>
    {
        public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, INumber<T>
        {
            TP.Max(x, T.Zero, d);
            TP.Min(d, T.CreateTruncating(6), d);
        }
    }
    /// <summary>-1, 0 or 1; 0 for NaN, as TensorFlow 1 documents ("Zero is returned for NaN inputs").</summary>
    public struct Sign : INumericUnary<Sign>
    {
        public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, INumber<T>
        {
            for (int i = 0; i < d.Length; i++) d[i] = T.IsNaN(x[i]) ? T.Zero : T.CreateTruncating(T.Sign(x[i]));
        }
    }

    // ----- floating unary -----
    public struct Sqrt : IFloatUnary<Sqrt> { public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TP.Sqrt(x, d); }
    public struct Rsqrt : IFloatUnary<Rsqrt> { public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TP.ReciprocalSqrt(x, d); }
    public struct Exp : IFloatUnary<Exp> { public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TP.Exp(x, d); }
    public struct Log : IFloatUnary<Log> { public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TP.Log(x, d); }
    public struct Log1p : IFloatUnary<Log1p>
    {
        public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        {
            for (int i = 0; i < d.Length; i++) d[i] = AccurateMath.Log1p(x[i]);
        }
    }
    public struct Sin : IFloatUnary<Sin> { public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TP.Sin(x, d); }
    public struct Cos : IFloatUnary<Cos> { public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TP.Cos(x, d); }
    public struct Tanh : IFloatUnary<Tanh> { public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TP.Tanh(x, d); }
    public struct Sigmoid : IFloatUnary<Sigmoid> { public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TP.Sigmoid(x, d); }
    public struct Reciprocal : IFloatUnary<Reciprocal> { public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T> => TP.Reciprocal(x, d); }
    public struct Elu : IFloatUnary<Elu>
    {
        public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        {
            for (int i = 0; i < d.Length; i++) d[i] = x[i] < T.Zero ? AccurateMath.Expm1(x[i]) : x[i];
        }
    }
    /// <summary>log(1 + e^x), computed without overflow for large |x|.</summary>
    public struct Softplus : IFloatUnary<Softplus>
    {
        public static void Apply<T>(ReadOnlySpan<T> x, Span<T> d) where T : unmanaged, IFloatingPointIeee754<T>
        {
            for (int i = 0; i < d.Length; i++)
            {
                var v = x[i];
                d[i] = T.Max(v, T.Zero) + AccurateMath.Log1p(T.Exp(-T.Abs(v)));
            }
        }
    }
}

/// <summary>
/// log(1 + x) and e^x - 1 accurate near 0. .NET's LogP1 and ExpM1 compute log(x + 1) and exp(x) - 1, which lose the
/// digits of a small x when 1 + x or e^x rounds (LogP1(1e-20) is 0; ExpM1(-1e-5f) is off in the third digit).
/// Rounding u = 1 + x (or u = e^x) first and correcting by the exact ratio cancels that error (Goldberg, "What
/// every computer scientist should know about floating-point arithmetic", theorem 4; Kahan for expm1).
/// </summary>
internal static class AccurateMath
{
    public static T Log1p<T>(T x) where T : IFloatingPointIeee754<T>
    {
        var u = T.One + x;
        if (u == T.One) return x;                // 1 + x rounded to 1: log1p(x) = x to working precision
        if (T.IsPositiveInfinity(u)) return u;   // log(∞) = ∞ (the ratio below would be ∞/∞); -∞ falls through to NaN
        return T.Log(u) * (x / (u - T.One));     // also gives -∞ at x = -1 and NaN below it, as log does
    }

    public static T Expm1<T>(T x) where T : IFloatingPointIeee754<T>
    {
        var u = T.Exp(x);
        if (u == T.One) return x;                // e^x rounded to 1: expm1(x) = x to working precision
        var um1 = u - T.One;
        if (um1 == -T.One || T.IsInfinity(u)) return um1;   // x very negative (-1) or overflow (∞)
        return um1 * (x / T.Log(u));
    }
}

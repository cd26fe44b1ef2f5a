using DataflowNet.Kernels.Gpu;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>
/// The GPU's own exp, log, pow and remainder (GpuMath), which replace the approximate PTX lowering of MathF's, against
/// .NET's double-precision math rounded to float: within one float ulp (pow: two), with C's special cases exactly.
/// </summary>
public class GpuMathFunctionTests
{
    private static double Ulps(float actual, double exact)
    {
        float rounded = (float)exact;
        if (float.IsNaN(rounded)) return float.IsNaN(actual) ? 0 : double.PositiveInfinity;
        if (float.IsInfinity(rounded) || rounded == 0) return actual == rounded ? 0 : Math.Abs(actual - rounded) / float.Epsilon;
        return Math.Abs(actual - exact) / (MathF.BitIncrement(MathF.Abs(rounded)) - MathF.Abs(rounded));
    }

    private static IEnumerable<float> Sweep(float lo, float hi, int n, int seed)
    {
        var r = new Random(seed);
        for (int i = 0; i < n; i++) yield return lo + (float)r.NextDouble() * (hi - lo);
    }

    [Test]
    public void ExpIsWithinAnUlpAcrossFloatsRange()
    {
        foreach (var x in Sweep(-104f, 89f, 20000, 1).Concat([0f, -0f, 1e-8f, -1e-8f, 1f, 80f, 88.72f, 88.73f, -87.3f, -103.9f, -110f]))
            Assert.That(Ulps(GpuMath.Exp(x), Math.Exp(x)), Is.LessThanOrEqualTo(1.0), $"exp({x:R})");
        Assert.That(GpuMath.Exp(float.NaN), Is.NaN);
        Assert.That(GpuMath.Exp(float.PositiveInfinity), Is.EqualTo(float.PositiveInfinity));
        Assert.That(GpuMath.Exp(float.NegativeInfinity), Is.EqualTo(0f));
    }

    [Test]
    public void Expm1IsWithinAnUlpNearZeroToo()
    {
        foreach (var x in Sweep(-0.6f, 0.6f, 10000, 6).Concat([1e-10f, -1e-10f, 1e-30f, 0.49999f, -0.49999f, 0.5f, 3f, -20f]))
        {
            // The reference in double: three Taylor terms near 0 (.NET's double.ExpM1 is e^x − 1 and gives 0 at 1e-30).
            double exact = Math.Abs(x) < 1e-3 ? x + (double)x * x / 2 + (double)x * x * x / 6 : Math.Exp(x) - 1;
            Assert.That(Ulps(GpuMath.Expm1(x), exact), Is.LessThanOrEqualTo(1.0), $"expm1({x:R})");
        }
    }

    [Test]
    public void Log1pIsWithinAnUlpNearZeroToo()
    {
        foreach (var x in Sweep(-0.6f, 0.6f, 10000, 7).Concat([1e-10f, -1e-10f, 1e-30f, 0.49999f, -0.49999f, 3f]))
        {
            // The reference in double: Taylor terms near 0, log(1 + x) elsewhere (exact in double for a float x).
            double exact = Math.Abs(x) < 1e-3 ? x - (double)x * x / 2 + (double)x * x * x / 3 : Math.Log(1.0 + x);
            Assert.That(Ulps(GpuMath.Log1p(x), exact), Is.LessThanOrEqualTo(1.0), $"log1p({x:R})");
        }
    }

    [Test]
    public void LogIsWithinAnUlpSubnormalsIncluded()
    {
        var xs = Sweep(1e-6f, 10f, 10000, 2).Concat(Sweep(0.999f, 1.001f, 5000, 3))
            .Concat([1.00001f, 0.99999f, 1f, float.Epsilon, 1e-40f, 1.17549435e-38f, float.MaxValue, 2f, 0.5f]);
        foreach (var x in xs) Assert.That(Ulps(GpuMath.Log(x), Math.Log(x)), Is.LessThanOrEqualTo(1.0), $"log({x:R})");
        Assert.That(GpuMath.Log(0f), Is.EqualTo(float.NegativeInfinity));
        Assert.That(GpuMath.Log(-1f), Is.NaN);
        Assert.That(GpuMath.Log(float.PositiveInfinity), Is.EqualTo(float.PositiveInfinity));
    }

    [Test]
    public void PowFollowsCsRulesAndIsWithinTwoUlps()
    {
        float[] special = [0f, -0f, 1f, -1f, 2f, -2f, 0.5f, -0.5f, 3f, -3f, 2.5f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, 1e-30f, 1e30f];
        foreach (var a in special)
            foreach (var b in special)
            {
                float expected = MathF.Pow(a, b), actual = GpuMath.Pow(a, b);
                if (float.IsNaN(expected)) Assert.That(actual, Is.NaN, $"pow({a}, {b})");
                else if (float.IsInfinity(expected) || expected == 0)
                    Assert.That(BitConverter.SingleToInt32Bits(actual), Is.EqualTo(BitConverter.SingleToInt32Bits(expected)), $"pow({a}, {b}) = {expected}");
                else Assert.That(Ulps(actual, Math.Pow(a, b)), Is.LessThanOrEqualTo(2.0), $"pow({a}, {b})");
            }
        var r = new Random(4);
        for (int i = 0; i < 10000; i++)
        {
            float a = (float)(r.NextDouble() * 20), b = (float)(r.NextDouble() * 16 - 8);
            Assert.That(Ulps(GpuMath.Pow(a, b), Math.Pow(a, b)), Is.LessThanOrEqualTo(2.0), $"pow({a:R}, {b:R})");
        }
        Assert.That(GpuMath.Pow(-2f, 3f), Is.EqualTo(-8f));
        Assert.That(GpuMath.Pow(-2f, 0.5f), Is.NaN);
    }

    [Test]
    public void RemainderIsExactAtAnyQuotient()
    {
        // .NET's float % is C's exact fmodf; the examples are where a reciprocal-based remainder goes wrong.
        float[] xs = [1e7f, 16777000f, -16777000f, 3.4e38f, -7.5f, 7.5f, 1e-40f, 5e-45f, 0f, -0f, 123.456f, 1f];
        float[] ys = [3f, 7f, -7f, 0.1f, 2f, -2f, 3e-41f, 1e-45f, 1e30f, 1.5f];
        foreach (var x in xs)
            foreach (var y in ys)
                Assert.That(BitConverter.SingleToInt32Bits(GpuMath.Remainder(x, y)), Is.EqualTo(BitConverter.SingleToInt32Bits(x % y)), $"{x:R} % {y:R}");
        var r = new Random(5);
        for (int i = 0; i < 20000; i++)
        {
            float x = (float)((r.NextDouble() - 0.5) * Math.Pow(10, r.Next(-5, 30))), y = (float)((r.NextDouble() - 0.5) * Math.Pow(10, r.Next(-5, 10)));
            if (y == 0) continue;
            Assert.That(GpuMath.Remainder(x, y), Is.EqualTo(x % y), $"{x:R} % {y:R}");
        }
        Assert.That(GpuMath.Remainder(1f, 0f), Is.NaN);
        Assert.That(GpuMath.Remainder(float.PositiveInfinity, 2f), Is.NaN);
        Assert.That(GpuMath.Remainder(5f, float.PositiveInfinity), Is.EqualTo(5f));
    }
}

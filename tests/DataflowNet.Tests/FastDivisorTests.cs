using DataflowNet.Kernels.Gpu;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>The GPU kernels' multiply-and-shift division against C#'s integer division.</summary>
public class FastDivisorTests
{
    [Test]
    public void QuotientAndRemainderMatchIntegerDivisionOverTheWholeNonNegativeRange()
    {
        var random = new Random(7);
        int[] divisors = [.. Enumerable.Range(1, 300), 511, 512, 513, 1000, 3136, 12544, 65535, 65536, 65537, 1 << 20, (1 << 30) - 1,
                          1 << 30, (1 << 30) + 1, int.MaxValue - 1, int.MaxValue, .. Enumerable.Range(0, 200).Select(_ => random.Next(1, int.MaxValue))];
        foreach (int d in divisors)
        {
            var f = new FastDivisor(d);
            // Multiples and their neighbours (where a quotient steps), the range's ends, and random numerators.
            var numerators = new List<int> { 0, 1, 2, d - 1, int.MaxValue, int.MaxValue - 1, int.MaxValue - d };
            for (long q = 1; q < 40 && q * d < int.MaxValue; q++) numerators.AddRange([(int)(q * d) - 1, (int)(q * d), (int)Math.Min(int.MaxValue, q * d + 1)]);
            long top = (long)(int.MaxValue / d) * d; // the last multiple
            numerators.AddRange([(int)top, (int)Math.Max(0, top - 1)]);
            for (int i = 0; i < 2000; i++) numerators.Add(random.Next());
            foreach (int n in numerators.Where(n => n >= 0))
            {
                if (f.Div(n) != n / d || f.Rem(n) != n % d)
                    Assert.Fail($"{n} / {d}: got {f.Div(n)} remainder {f.Rem(n)}, expected {n / d} remainder {n % d}");
            }
        }
    }

    [Test]
    public void ADivisorBelowOneIsRefused()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => _ = new FastDivisor(0));
        Assert.That(e!.Message, Does.Contain("at least 1"));
    }
}

using DataflowNet;
using NUnit.Framework;

namespace DataflowNet.Tests.Ops;

/// <summary>
/// Random ops: TensorFlow's seeding rules (graph seed plus op seed replays a sequence in a new session and a new
/// graph; each run draws fresh numbers; no seed means fresh numbers per session) and the distributions' statistics,
/// computed here in double precision with plain loops.
/// </summary>
public class RandomOpTests(string device) : DeviceTest(device)
{
    private const int Many = 100_000;

    private static (double Mean, double Std) Stats(IReadOnlyList<double> xs)
    {
        double mean = xs.Average();
        double var = xs.Sum(x => (x - mean) * (x - mean)) / xs.Count;
        return (mean, Math.Sqrt(var));
    }

    private static double[] Doubles(TensorValue v) => v.ToArray<float>().Select(f => (double)f).ToArray();

    /// <summary>Builds the same little graph of three random ops in a fresh graph, runs it once in a fresh session.</summary>
    private static float[][] BuildAndRunSeeded(int? graphSeed, bool opSeeds)
    {
        var g = new Graph();
        using (g.as_default())
        {
            if (graphSeed is not null) tf.set_random_seed(graphSeed.Value);
            var n = tf.random_normal(new[] { 8 }, seed: opSeeds ? 1 : null);
            var u = tf.random_uniform(new[] { 2, 4 }, seed: opSeeds ? 2 : null);
            var t = tf.truncated_normal(new[] { 8 }, seed: opSeeds ? 3 : null);
            using var sess = tf.Session(g);
            var values = sess.run(new IFetchable[] { n, u, t });
            return values.Select(v => v!.ToArray<float>()).ToArray();
        }
    }

    [Test]
    public void GraphSeedAndOpSeedsReplayInAFreshGraphAndSession()
    {
        var first = BuildAndRunSeeded(42, opSeeds: true);
        var second = BuildAndRunSeeded(42, opSeeds: true);
        Assert.That(second, Is.EqualTo(first));
        Assert.That(first[0].Distinct().Count(), Is.EqualTo(8), "the values are random, not a constant");
        Assert.That(first[0], Is.Not.EqualTo(first[2]), "different ops draw different numbers");
    }

    [Test]
    public void GraphSeedAloneAlsoReplays()
    {
        Assert.That(BuildAndRunSeeded(42, opSeeds: false), Is.EqualTo(BuildAndRunSeeded(42, opSeeds: false)));
    }

    [Test]
    public void OpSeedAloneAlsoReplays()
    {
        Assert.That(BuildAndRunSeeded(null, opSeeds: true), Is.EqualTo(BuildAndRunSeeded(null, opSeeds: true)));
    }

    [Test]
    public void ADifferentGraphSeedGivesDifferentNumbers()
    {
        Assert.That(BuildAndRunSeeded(43, opSeeds: true)[0], Is.Not.EqualTo(BuildAndRunSeeded(42, opSeeds: true)[0]));
    }

    [Test]
    public void WithoutAnySeedTwoSessionsGiveDifferentNumbers()
    {
        var first = BuildAndRunSeeded(null, opSeeds: false);
        var second = BuildAndRunSeeded(null, opSeeds: false);
        for (int i = 0; i < 3; i++) Assert.That(second[i], Is.Not.EqualTo(first[i]), $"op {i}");
    }

    [Test]
    public void TwoRunsInOneSessionDrawDifferentNumbersAndANewSessionReplaysThem()
    {
        tf.set_random_seed(42);
        var r = tf.random_uniform(new[] { 5 }, seed: 7);
        float[] a, b;
        using (var sess = tf.Session())
        {
            a = sess.run(r).ToArray<float>();
            b = sess.run(r).ToArray<float>();
        }
        Assert.That(b, Is.Not.EqualTo(a));
        using (var sess = tf.Session())
        {
            Assert.That(sess.run(r).ToArray<float>(), Is.EqualTo(a), "a new session starts the sequence again");
            Assert.That(sess.run(r).ToArray<float>(), Is.EqualTo(b));
        }
    }

    [Test]
    public void UnseededOpsInOneSessionDifferBetweenRuns()
    {
        var r = tf.random_normal(new[] { 4 });
        using var sess = tf.Session();
        Assert.That(sess.run(r).ToArray<float>(), Is.Not.EqualTo(sess.run(r).ToArray<float>()));
    }

    [Test]
    public void RandomNormalHasTheRequestedMeanAndStddev()
    {
        tf.set_random_seed(42);
        var r = tf.random_normal(new[] { Many }, mean: 3f, stddev: 2f, seed: 1);
        var v = Eval(r);
        Assert.That(v.shape, Is.EqualTo(new[] { Many }));
        var (mean, std) = Stats(Doubles(v));
        Assert.That(mean, Is.EqualTo(3.0).Within(0.02));
        Assert.That(std, Is.EqualTo(2.0).Within(0.02));
    }

    [Test]
    public void RandomNormalDefaultsToStandard()
    {
        tf.set_random_seed(7);
        var (mean, std) = Stats(Doubles(Eval(tf.random_normal(new[] { 200, 500 }, seed: 3))));
        Assert.That(mean, Is.EqualTo(0.0).Within(0.02));
        Assert.That(std, Is.EqualTo(1.0).Within(0.02));
    }

    [Test]
    public void TruncatedNormalStaysWithinTwoStddevs()
    {
        tf.set_random_seed(42);
        var xs = Doubles(Eval(tf.truncated_normal(new[] { Many }, seed: 5)));
        Assert.That(xs.Min(), Is.GreaterThanOrEqualTo(-2.0));
        Assert.That(xs.Max(), Is.LessThanOrEqualTo(2.0));
        var (mean, std) = Stats(xs);
        Assert.That(mean, Is.EqualTo(0.0).Within(0.02));
        // The standard normal truncated to [-2, 2] has stddev 0.8796 (1 - 2·2·φ(2)/(Φ(2) - Φ(-2)) = 0.7737 variance).
        Assert.That(std, Is.EqualTo(0.8796).Within(0.02));
        Assert.That(xs.Count(x => Math.Abs(x) > 1.9), Is.GreaterThan(0), "reaches near the bounds");
    }

    [Test]
    public void TruncatedNormalWithCustomMeanAndStddev()
    {
        tf.set_random_seed(42);
        const double mean = 10, stddev = 3;
        var xs = Doubles(Eval(tf.truncated_normal(new[] { Many }, mean: (float)mean, stddev: (float)stddev, seed: 6)));
        // Float32 arithmetic may round a value at the bound by an ulp (1e-6 here).
        Assert.That(xs.Min(), Is.GreaterThanOrEqualTo(mean - 2 * stddev - 1e-5));
        Assert.That(xs.Max(), Is.LessThanOrEqualTo(mean + 2 * stddev + 1e-5));
        var (m, s) = Stats(xs);
        Assert.That(m, Is.EqualTo(mean).Within(0.05));
        Assert.That(s, Is.EqualTo(0.8796 * stddev).Within(0.05));
    }

    [Test]
    public void RandomUniformIsWithinMinvalAndMaxval()
    {
        tf.set_random_seed(42);
        var xs = Doubles(Eval(tf.random_uniform(new[] { Many }, minval: -3f, maxval: 5f, seed: 4)));
        Assert.That(xs.Min(), Is.GreaterThanOrEqualTo(-3.0));
        Assert.That(xs.Max(), Is.LessThan(5.0));
        var (mean, std) = Stats(xs);
        Assert.That(mean, Is.EqualTo(1.0).Within(0.05), "the middle of [-3, 5)");
        // Uniform on an interval of width 8: stddev 8/√12 = 2.3094.
        Assert.That(std, Is.EqualTo(8 / Math.Sqrt(12)).Within(0.02));
        Assert.That(xs.Min(), Is.LessThan(-2.99), "covers the low end");
        Assert.That(xs.Max(), Is.GreaterThan(4.99), "covers the high end");
    }

    [Test]
    public void RandomUniformDefaultsToTheUnitInterval()
    {
        tf.set_random_seed(1);
        var xs = Doubles(Eval(tf.random_uniform(new[] { 1000 }, seed: 1)));
        Assert.That(xs, Has.All.GreaterThanOrEqualTo(0.0).And.LessThan(1.0));
        Assert.That(xs.Average(), Is.EqualTo(0.5).Within(0.05));
    }

    [Test]
    public void RandomShuffleOfARangeIsAPermutationButNotTheIdentity()
    {
        tf.set_random_seed(42);
        var shuffled = tf.random_shuffle(tf.range(100), seed: 9);
        var v = Eval(shuffled);
        Assert.That(v.dtype, Is.EqualTo(tf.int32));
        Assert.That(v.shape, Is.EqualTo(new[] { 100 }));
        var xs = v.ToArray<int>();
        Assert.That(xs.Order(), Is.EqualTo(Enumerable.Range(0, 100)), "each of 0..99 exactly once");
        Assert.That(xs, Is.Not.EqualTo(Enumerable.Range(0, 100)), "not left in order");
        Assert.That(xs.Where((x, i) => x == i).Count(), Is.LessThan(10), "few fixed points");
    }

    [Test]
    public void RandomShuffleMovesWholeRows()
    {
        var m = tf.reshape(tf.range(20), new[] { 10, 2 });
        var xs = Eval(tf.random_shuffle(m)).ToArray<int>();
        // Each row [2k, 2k + 1] must stay together.
        var rows = Enumerable.Range(0, 10).Select(r => (xs[2 * r], xs[2 * r + 1])).ToArray();
        Assert.That(rows, Has.All.Matches<(int A, int B)>(r => r.A % 2 == 0 && r.B == r.A + 1));
        Assert.That(rows.Select(r => r.Item1).Order(), Is.EqualTo(Enumerable.Range(0, 10).Select(k => 2 * k)));
    }

    [Test]
    public void Float64RandomOps()
    {
        tf.set_random_seed(42);
        var n = tf.random_normal(new[] { Many }, mean: -1f, stddev: 0.5f, dtype: tf.float64, seed: 2);
        var u = tf.random_uniform(new[] { 1000 }, minval: 2f, maxval: 4f, dtype: tf.float64, seed: 3);
        var t = tf.truncated_normal(new[] { 1000 }, dtype: tf.float64, seed: 4);
        Assert.That(n.dtype, Is.EqualTo(tf.float64));
        using var sess = tf.Session();
        var nv = sess.run(n);
        Assert.That(nv.dtype, Is.EqualTo(tf.float64));
        var (mean, std) = Stats(nv.ToArray<double>());
        Assert.That(mean, Is.EqualTo(-1.0).Within(0.02));
        Assert.That(std, Is.EqualTo(0.5).Within(0.02));
        var uv = sess.run(u).ToArray<double>();
        Assert.That(uv, Has.All.GreaterThanOrEqualTo(2.0).And.LessThan(4.0));
        Assert.That(uv.Distinct().Count(), Is.EqualTo(1000), "52 random bits: no repeats in 1000 draws");
        Assert.That(sess.run(t).ToArray<double>(), Has.All.InRange(-2.0, 2.0));
    }

    [Test]
    public void RandomOpsRejectNonFloatDtypesAndPartialShapes()
    {
        Assert.Throws<InvalidArgumentException>(() => tf.random_normal(new[] { 3 }, dtype: tf.int32));
        Assert.Throws<InvalidArgumentException>(() => tf.random_uniform(new[] { -1, 3 }));
    }
}

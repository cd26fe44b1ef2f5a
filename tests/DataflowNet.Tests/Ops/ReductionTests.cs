using DataflowNet;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>reduce_sum/mean/max/min/prod over all, one, negative and several axes, with and without keepdims; argmax/argmin.</summary>
public class ReductionTests(string device) : DeviceTest(device)
{
    // M = [[3, -1, 7],
    //      [2,  8, -5]]   (not monotone, so a wrong axis or order shows)
    private static Tensor M() => tf.constant(new[,] { { 3f, -1f, 7f }, { 2f, 8f, -5f } });

    [Test]
    public void NormsOfM()
    {
        // Σx² = 9 + 1 + 49 + 4 + 64 + 25 = 152; Σ|x| = 26; max |x| = 8. Rows: √59, √93; columns: √13, √65, √74.
        AssertValue(Eval(tf.norm(M())), new[] { MathF.Sqrt(152) }, [], 1e-6);
        AssertValue(Eval(tf.norm(M(), "fro", [0, 1])), new[] { MathF.Sqrt(152) }, [], 1e-6);
        AssertValue(Eval(tf.norm(M(), axis: [1])), new[] { MathF.Sqrt(59), MathF.Sqrt(93) }, [2], 1e-6);
        AssertValue(Eval(tf.norm(M(), axis: [0], keepdims: true)), new[] { MathF.Sqrt(13), MathF.Sqrt(65), MathF.Sqrt(74) }, [1, 3], 1e-6);
        AssertValue(Eval(tf.norm(M(), 1)), new[] { 26f }, []);
        AssertValue(Eval(tf.norm(M(), axis: [1], ord: 1)), new[] { 11f, 15f }, [2]);
        AssertValue(Eval(tf.norm(M(), double.PositiveInfinity)), new[] { 8f }, []);
        AssertValue(Eval(tf.norm(M(), axis: [0], ord: double.PositiveInfinity)), new[] { 3f, 8f, 7f }, [3]);
        // The Euclidean norm's gradient is x / |x|.
        var v = tf.constant(new[] { 3.0, 4.0 }, tf.float64);
        AssertValue(Eval(tf.gradients(tf.norm(v), v)[0]!), new[] { 0.6, 0.8 }, [2], 1e-15);
        Assert.That(() => tf.norm(M(), 3), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("ord must be 'euclidean', 'fro', 1, 2 or infinity, got 3"));
        Assert.That(() => tf.norm(M(), 1, [0, 1]), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("matrix norms of order 1, 2 and infinity are not"));
    }

    [Test]
    public void ReduceSumOverAllAndEachAxis()
    {
        AssertValue(Eval(tf.reduce_sum(M())), new[] { 14f }, []);
        AssertValue(Eval(tf.reduce_sum(M(), 0)), new[] { 5f, 7f, 2f }, [3]);
        AssertValue(Eval(tf.reduce_sum(M(), 1)), new[] { 9f, 5f }, [2]);
        AssertValue(Eval(tf.reduce_sum(M(), -1)), new[] { 9f, 5f }, [2]);
        AssertValue(Eval(tf.reduce_sum(M(), -2)), new[] { 5f, 7f, 2f }, [3]);
        AssertValue(Eval(tf.reduce_sum(M(), new[] { 0, 1 })), new[] { 14f }, []);
    }

    [Test]
    public void ReduceSumKeepDims()
    {
        var all = tf.reduce_sum(M(), keepdims: true);
        Assert.That(all.shape.Dims, Is.EqualTo(new[] { 1, 1 }));
        AssertValue(Eval(all), new[] { 14f }, [1, 1]);
        AssertValue(Eval(tf.reduce_sum(M(), 0, keepdims: true)), new[] { 5f, 7f, 2f }, [1, 3]);
        AssertValue(Eval(tf.reduce_sum(M(), 1, keepdims: true)), new[] { 9f, 5f }, [2, 1]);
        AssertValue(Eval(tf.reduce_sum(M(), -1, keepdims: false)), new[] { 9f, 5f }, [2]);
    }

    [Test]
    public void ReduceMeanFloat()
    {
        AssertValue(Eval(tf.reduce_mean(M())), new[] { 14f / 6f }, [], 1e-6);
        AssertValue(Eval(tf.reduce_mean(M(), 0)), new[] { 2.5f, 3.5f, 1f }, [3]);
        AssertValue(Eval(tf.reduce_mean(M(), 1)), new[] { 3f, 5f / 3f }, [2], 1e-6);
        AssertValue(Eval(tf.reduce_mean(M(), -1, keepdims: true)), new[] { 3f, 5f / 3f }, [2, 1], 1e-6);
        var d = tf.constant(new[] { 0.1, 0.2, 0.3 }, dtype: tf.float64);
        AssertValue(Eval(tf.reduce_mean(d)), new[] { (0.1 + 0.2 + 0.3) / 3 }, [], 1e-16);
    }

    [Test]
    public void ReduceMaxAndMin()
    {
        AssertValue(Eval(tf.reduce_max(M())), new[] { 8f }, []);
        AssertValue(Eval(tf.reduce_max(M(), 0)), new[] { 3f, 8f, 7f }, [3]);
        AssertValue(Eval(tf.reduce_max(M(), 1)), new[] { 7f, 8f }, [2]);
        AssertValue(Eval(tf.reduce_max(M(), -1, keepdims: true)), new[] { 7f, 8f }, [2, 1]);
        AssertValue(Eval(tf.reduce_min(M())), new[] { -5f }, []);
        AssertValue(Eval(tf.reduce_min(M(), 0)), new[] { 2f, -1f, -5f }, [3]);
        AssertValue(Eval(tf.reduce_min(M(), 1)), new[] { -1f, -5f }, [2]);
        AssertValue(Eval(tf.reduce_min(M(), -2, keepdims: true)), new[] { 2f, -1f, -5f }, [1, 3]);
    }

    [Test]
    public void ReduceProd()
    {
        AssertValue(Eval(tf.reduce_prod(M())), new[] { 3f * -1 * 7 * 2 * 8 * -5 }, []);
        AssertValue(Eval(tf.reduce_prod(M(), 0)), new[] { 6f, -8f, -35f }, [3]);
        AssertValue(Eval(tf.reduce_prod(M(), 1)), new[] { -21f, -80f }, [2]);
        AssertValue(Eval(tf.reduce_prod(M(), 1, keepdims: true)), new[] { -21f, -80f }, [2, 1]);
    }

    [Test]
    public void IntegerDtypesReduce()
    {
        var x = tf.constant(new[,] { { 3, -1, 7 }, { 2, 8, -5 } });
        AssertValue(Eval(tf.reduce_sum(x)), new[] { 14 }, []);
        AssertValue(Eval(tf.reduce_max(x, 0)), new[] { 3, 8, 7 }, [3]);
        AssertValue(Eval(tf.reduce_min(x, 1)), new[] { -1, -5 }, [2]);
        AssertValue(Eval(tf.reduce_prod(x, 0)), new[] { 6, -8, -35 }, [3]);
        var l = tf.constant(new[] { 3_000_000_000L, 3_000_000_000L, 5L });
        AssertValue(Eval(tf.reduce_sum(l)), new[] { 6_000_000_005L }, []);
        AssertValue(Eval(tf.reduce_max(tf.constant(new byte[] { 3, 250, 7 }))), new byte[] { 250 }, []);
        AssertValue(Eval(tf.reduce_min(tf.constant(new[] { 0.5, -1e300 }, dtype: tf.float64))), new[] { -1e300 }, []);
    }

    [Test]
    public void Int32MeanTruncatesLikeIntegerDivision()
    {
        var x = tf.constant(new[,] { { 1, 2 }, { 4, 4 } });
        var mean = tf.reduce_mean(x);
        Assert.That(mean.dtype, Is.EqualTo(tf.int32));
        AssertValue(Eval(mean), new[] { 2 }, []);                         // 11 / 4 = 2.75 → 2
        AssertValue(Eval(tf.reduce_mean(x, 1)), new[] { 1, 4 }, [2]);     // 3 / 2 → 1
        AssertValue(Eval(tf.reduce_mean(x, 0)), new[] { 2, 3 }, [2]);     // 5 / 2 → 2, 6 / 2 = 3
        // Toward zero for negative sums: -3 / 2 → -1 (C integer division, as TensorFlow).
        AssertValue(Eval(tf.reduce_mean(tf.constant(new[] { -1, -2 }))), new[] { -1 }, []);
        AssertValue(Eval(tf.reduce_mean(tf.constant(new[] { 7L, 8L }))), new[] { 7L }, []);
    }

    // ---------- rank 3: several axes, including non-adjacent ones ----------
    private static readonly float[] X3 = Enumerable.Range(0, 24).Select(i => (i * 7) % 11 - 5.5f).ToArray(); // half-integers: no zeros, no ties along an axis

    /// <summary>Reduces the (2,3,4) tensor X3 over <paramref name="axes"/> in plain loops.</summary>
    private static (double[] Values, int[] Shape) Reduce3(int[] axes, bool keepdims, Func<IEnumerable<double>, double> f)
    {
        int[] dims = [2, 3, 4];
        var reduce = new bool[3];
        foreach (var a in axes) reduce[a < 0 ? a + 3 : a] = true;
        var groups = new SortedDictionary<int, List<double>>();
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 3; j++)
                for (int k = 0; k < 4; k++)
                {
                    int[] idx = [i, j, k];
                    int key = 0;
                    for (int d = 0; d < 3; d++) key = key * dims[d] + (reduce[d] ? 0 : idx[d]);
                    if (!groups.TryGetValue(key, out var list)) groups[key] = list = new List<double>();
                    list.Add(X3[(i * 3 + j) * 4 + k]);
                }
        var shape = Enumerable.Range(0, 3).Where(d => keepdims || !reduce[d]).Select(d => reduce[d] ? 1 : dims[d]).ToArray();
        return (groups.Values.Select(f).ToArray(), shape);
    }

    [TestCase(new[] { 0, 2 }, false)]
    [TestCase(new[] { 0, 2 }, true)]
    [TestCase(new[] { 2, 0 }, false)]
    [TestCase(new[] { -1, 0 }, true)]
    [TestCase(new[] { 1, 2 }, false)]
    [TestCase(new[] { 0, 1 }, true)]
    [TestCase(new[] { 1 }, false)]
    [TestCase(new[] { 0, 1, 2 }, false)]
    public void Rank3ReductionsOverSeveralAxes(int[] axes, bool keepdims)
    {
        var x = tf.constant(X3, shape: new[] { 2, 3, 4 });
        var ops = new (Func<Tensor, Tensor> Op, Func<IEnumerable<double>, double> F, string Name)[]
        {
            (t => tf.reduce_sum(t, axes, keepdims), v => v.Sum(), "sum"),
            (t => tf.reduce_mean(t, axes, keepdims), v => v.Average(), "mean"),
            (t => tf.reduce_max(t, axes, keepdims), v => v.Max(), "max"),
            (t => tf.reduce_min(t, axes, keepdims), v => v.Min(), "min"),
            (t => tf.reduce_prod(t, axes, keepdims), v => v.Aggregate(1.0, (p, e) => p * e), "prod"),
        };
        foreach (var (op, f, name) in ops)
        {
            var (expected, shape) = Reduce3(axes, keepdims, f);
            var r = op(x);
            Assert.That(r.shape.Dims, Is.EqualTo(shape), $"{name} static shape");
            MathAssert.Close(Eval(r), tf.float32, shape, expected, 1e-5, 1e-6, name);
        }
    }

    [Test]
    public void ReduceAllAxesOfRank3WithKeepDims()
    {
        var x = tf.constant(X3, shape: new[] { 2, 3, 4 });
        var r = tf.reduce_sum(x, keepdims: true);
        Assert.That(r.shape.Dims, Is.EqualTo(new[] { 1, 1, 1 }));
        AssertValue(Eval(r), new[] { X3.Sum() }, [1, 1, 1]);
    }

    [Test]
    public void AxisOutOfRangeFailsWhenBuilding()
    {
        Assert.That(() => tf.reduce_sum(M(), 2), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("out of range"));
        Assert.That(() => tf.reduce_max(M(), -3), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("out of range"));
        Assert.That(() => tf.reduce_sum(tf.constant(new[] { true })), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("bool"));
    }

    // ---------- argmax / argmin ----------
    [Test]
    public void ArgmaxAndArgminDefaultToInt64()
    {
        var am = tf.argmax(M(), 0);
        Assert.That(am.dtype, Is.EqualTo(tf.int64));
        AssertValue(Eval(am), new[] { 0L, 1L, 0L }, [3]);
        AssertValue(Eval(tf.argmax(M(), 1)), new[] { 2L, 1L }, [2]);
        AssertValue(Eval(tf.argmin(M(), 0)), new[] { 1L, 0L, 1L }, [3]);
        AssertValue(Eval(tf.argmin(M(), 1)), new[] { 1L, 2L }, [2]);
        AssertValue(Eval(tf.argmax(M())), new[] { 0L, 1L, 0L }, [3]);
        AssertValue(Eval(tf.argmax(M(), -1)), new[] { 2L, 1L }, [2]);
    }

    [Test]
    public void ArgmaxAndArgminWithInt32OutputType()
    {
        var am = tf.argmax(M(), 1, output_type: tf.int32);
        Assert.That(am.dtype, Is.EqualTo(tf.int32));
        AssertValue(Eval(am), new[] { 2, 1 }, [2]);
        AssertValue(Eval(tf.argmin(M(), 0, output_type: tf.int32)), new[] { 1, 0, 1 }, [3]);
    }

    [Test]
    public void ArgmaxOnIntegerAndFloat64Inputs()
    {
        AssertValue(Eval(tf.argmax(tf.constant(new[,] { { 1, 9, 3 }, { -4, -8, -2 } }), 1)), new[] { 1L, 2L }, [2]);
        AssertValue(Eval(tf.argmin(tf.constant(new[] { 5_000_000_000L, -1L, 7L }))), new[] { 1L }, []);
        AssertValue(Eval(tf.argmax(tf.constant(new[] { 0.1, 0.3, 0.2 }, dtype: tf.float64))), new[] { 1L }, []);
        AssertValue(Eval(tf.argmax(tf.constant(new byte[] { 3, 250, 7 }))), new[] { 1L }, []);
    }

    [Test]
    public void ArgmaxTiesGiveTheFirstIndex()
    {
        AssertValue(Eval(tf.argmax(tf.constant(new[,] { { 5f, 5f, 1f }, { 0f, 2f, 2f } }), 1)), new[] { 0L, 1L }, [2]);
        AssertValue(Eval(tf.argmin(tf.constant(new[,] { { 5, 1, 1 }, { 0, 0, 0 } }), 1)), new[] { 1L, 0L }, [2]);
    }

    [Test]
    public void ArgmaxAlongMiddleAxisOfRank3()
    {
        var x = tf.constant(X3, shape: new[] { 2, 3, 4 });
        var expected = new long[8];
        var expectedMin = new long[8];
        for (int i = 0; i < 2; i++)
            for (int k = 0; k < 4; k++)
            {
                int best = 0, worst = 0;
                for (int j = 1; j < 3; j++)
                {
                    if (X3[(i * 3 + j) * 4 + k] > X3[(i * 3 + best) * 4 + k]) best = j;
                    if (X3[(i * 3 + j) * 4 + k] < X3[(i * 3 + worst) * 4 + k]) worst = j;
                }
                expected[i * 4 + k] = best;
                expectedMin[i * 4 + k] = worst;
            }
        AssertValue(Eval(tf.argmax(x, 1)), expected, [2, 4]);
        AssertValue(Eval(tf.argmin(x, -2)), expectedMin, [2, 4]);
    }

    [Test]
    public void ArgmaxAxisOutOfRangeFailsWhenBuilding()
    {
        Assert.That(() => tf.argmax(M(), 2), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("out of range"));
    }
}

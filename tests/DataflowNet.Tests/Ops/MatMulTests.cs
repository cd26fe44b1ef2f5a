using DataflowNet;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>tf.matmul: 2-D products with transposes, batched and broadcast-batch products, dtypes and shape errors.</summary>
public class MatMulTests(string device) : DeviceTest(device)
{
    // A = [[1,2,3],[4,5,6]], B = [[7,8],[9,10],[11,12]]; A·B by hand:
    // [1·7+2·9+3·11, 1·8+2·10+3·12] = [58, 64]; [4·7+5·9+6·11, 4·8+5·10+6·12] = [139, 154]
    private static readonly float[,] A = { { 1, 2, 3 }, { 4, 5, 6 } };
    private static readonly float[,] B = { { 7, 8 }, { 9, 10 }, { 11, 12 } };
    private static readonly float[] AB = [58, 64, 139, 154];

    [Test]
    public void TwoByThreeTimesThreeByTwo()
    {
        var c = tf.matmul(tf.constant(A), tf.constant(B));
        Assert.That(c.shape.Dims, Is.EqualTo(new[] { 2, 2 }));
        AssertValue(Eval(c), AB, [2, 2]);
        // The other order is 3x3: B·A[0,0] = 7·1+8·4 = 39, B·A[2,2] = 11·3+12·6 = 105
        var ba = Eval(tf.matmul(tf.constant(B), tf.constant(A)));
        AssertValue(ba, new[] { 39f, 54f, 69f, 49f, 68f, 87f, 59f, 82f, 105f }, [3, 3]);
    }

    [Test]
    public void TransposeAAndTransposeB()
    {
        var at = tf.constant(new float[,] { { 1, 4 }, { 2, 5 }, { 3, 6 } });      // Aᵀ, 3x2
        var bt = tf.constant(new float[,] { { 7, 9, 11 }, { 8, 10, 12 } });      // Bᵀ, 2x3
        AssertValue(Eval(tf.matmul(at, tf.constant(B), transpose_a: true)), AB, [2, 2]);
        AssertValue(Eval(tf.matmul(tf.constant(A), bt, transpose_b: true)), AB, [2, 2]);
        AssertValue(Eval(tf.matmul(at, bt, transpose_a: true, transpose_b: true)), AB, [2, 2]);
        // Aᵀ·Aᵀᵀ = Aᵀ·A is 3x3: [1·1+4·4, 1·2+4·5, 1·3+4·6; …]
        AssertValue(Eval(tf.matmul(tf.constant(A), tf.constant(A), transpose_a: true)),
            new[] { 17f, 22f, 27f, 22f, 29f, 36f, 27f, 36f, 45f }, [3, 3]);
    }

    [Test]
    public void Float64Int32AndInt64Products()
    {
        var a64 = tf.constant(new[,] { { 1.0, 2.0, 3.0 }, { 4.0, 5.0, 6.0 } }, dtype: tf.float64);
        var b64 = tf.constant(new[,] { { 7.0, 8.0 }, { 9.0, 10.0 }, { 11.0, 12.0 } }, dtype: tf.float64);
        AssertValue(Eval(tf.matmul(a64, b64)), new[] { 58.0, 64.0, 139.0, 154.0 }, [2, 2]);
        // 0.1·0.1 + 0.2·0.2 in double, not float32
        var small = tf.matmul(tf.constant(new[,] { { 0.1, 0.2 } }, dtype: tf.float64), tf.constant(new[,] { { 0.1 }, { 0.2 } }, dtype: tf.float64));
        AssertValue(Eval(small), new[] { 0.1 * 0.1 + 0.2 * 0.2 }, [1, 1]);

        var ai = tf.constant(new[,] { { 1, -2, 3 }, { 4, 5, -6 } });
        var bi = tf.constant(new[,] { { 7, 8 }, { 9, 10 }, { 11, 12 } });
        var ci = tf.matmul(ai, bi);
        Assert.That(ci.dtype, Is.EqualTo(tf.int32));
        AssertValue(Eval(ci), new[] { 7 - 18 + 33, 8 - 20 + 36, 28 + 45 - 66, 32 + 50 - 72 }, [2, 2]);

        var al = tf.constant(new[,] { { 100_000L, 1L } });
        var bl = tf.constant(new[,] { { 100_000L }, { -1L } });
        AssertValue(Eval(tf.matmul(al, bl)), new[] { 9_999_999_999L }, [1, 1]);
    }

    [Test]
    public void MatrixTimesVectorColumnAndRowTimesMatrix()
    {
        var col = tf.constant(new float[,] { { 1 }, { -1 }, { 2 } });
        AssertValue(Eval(tf.matmul(tf.constant(A), col)), new[] { 1f - 2 + 6, 4f - 5 + 12 }, [2, 1]);
        var row = tf.constant(new float[,] { { 1, -1 } });
        AssertValue(Eval(tf.matmul(row, tf.constant(A))), new[] { -3f, -3f, -3f }, [1, 3]);
    }

    [Test]
    public void Rank3BatchedProduct()
    {
        float[] a = Reference.RandomFloats(2 * 2 * 3, 1), b = Reference.RandomFloats(2 * 3 * 4, 2);
        var c = tf.matmul(tf.constant(a, shape: new[] { 2, 2, 3 }), tf.constant(b, shape: new[] { 2, 3, 4 }));
        Assert.That(c.shape.Dims, Is.EqualTo(new[] { 2, 2, 4 }));
        var expected = new List<double>();
        for (int batch = 0; batch < 2; batch++)
            expected.AddRange(Reference.MatMul(Reference.ToDouble(a[(batch * 6)..((batch + 1) * 6)]), Reference.ToDouble(b[(batch * 12)..((batch + 1) * 12)]), 2, 3, 4));
        MathAssert.Close(Eval(c), tf.float32, [2, 2, 4], expected.ToArray(), 1e-5, 1e-6);
    }

    [Test]
    public void Rank3BatchedProductWithTransposes()
    {
        // x[b] is 3x2 used transposed (2x3); y[b] is 4x3 used transposed (3x4).
        float[] x = Reference.RandomFloats(2 * 3 * 2, 3), y = Reference.RandomFloats(2 * 4 * 3, 4);
        var c = tf.matmul(tf.constant(x, shape: new[] { 2, 3, 2 }), tf.constant(y, shape: new[] { 2, 4, 3 }), transpose_a: true, transpose_b: true);
        Assert.That(c.shape.Dims, Is.EqualTo(new[] { 2, 2, 4 }));
        var expected = new List<double>();
        for (int batch = 0; batch < 2; batch++)
        {
            var xt = Reference.Transpose(Reference.ToDouble(x[(batch * 6)..((batch + 1) * 6)]), 3, 2);
            var yt = Reference.Transpose(Reference.ToDouble(y[(batch * 12)..((batch + 1) * 12)]), 4, 3);
            expected.AddRange(Reference.MatMul(xt, yt, 2, 3, 4));
        }
        MathAssert.Close(Eval(c), tf.float32, [2, 2, 4], expected.ToArray(), 1e-5, 1e-6);
    }

    [Test]
    public void BatchTimesSingleMatrixBroadcasts()
    {
        // (2,3,4) · (4,5) → (2,3,5): the one matrix multiplies every batch.
        float[] a = Reference.RandomFloats(24, 5), b = Reference.RandomFloats(20, 6);
        var c = tf.matmul(tf.constant(a, shape: new[] { 2, 3, 4 }), tf.constant(b, shape: new[] { 4, 5 }));
        Assert.That(c.shape.Dims, Is.EqualTo(new[] { 2, 3, 5 }));
        var expected = Reference.MatMul(Reference.ToDouble(a), Reference.ToDouble(b), 6, 4, 5); // the batch folds into rows
        MathAssert.Close(Eval(c), tf.float32, [2, 3, 5], expected, 1e-5, 1e-6);

        // (3,4) · (2,4,5) → (2,3,5): a single left matrix against each batch on the right.
        float[] l = Reference.RandomFloats(12, 7), r = Reference.RandomFloats(40, 8);
        var d = tf.matmul(tf.constant(l, shape: new[] { 3, 4 }), tf.constant(r, shape: new[] { 2, 4, 5 }));
        var expectedD = new List<double>();
        for (int batch = 0; batch < 2; batch++)
            expectedD.AddRange(Reference.MatMul(Reference.ToDouble(l), Reference.ToDouble(r[(batch * 20)..((batch + 1) * 20)]), 3, 4, 5));
        MathAssert.Close(Eval(d), tf.float32, [2, 3, 5], expectedD.ToArray(), 1e-5, 1e-6);
    }

    [Test]
    public void BatchDimensionsBroadcastAgainstEachOther()
    {
        // (2,1,2,3) · (4,3,2) → batch (2,4): x[i,0] meets y[j] for every i, j.
        float[] x = Reference.RandomFloats(2 * 2 * 3, 9), y = Reference.RandomFloats(4 * 3 * 2, 10);
        var c = tf.matmul(tf.constant(x, shape: new[] { 2, 1, 2, 3 }), tf.constant(y, shape: new[] { 4, 3, 2 }));
        Assert.That(c.shape.Dims, Is.EqualTo(new[] { 2, 4, 2, 2 }));
        var expected = new List<double>();
        for (int i = 0; i < 2; i++)
            for (int j = 0; j < 4; j++)
                expected.AddRange(Reference.MatMul(Reference.ToDouble(x[(i * 6)..((i + 1) * 6)]), Reference.ToDouble(y[(j * 6)..((j + 1) * 6)]), 2, 3, 2));
        MathAssert.Close(Eval(c), tf.float32, [2, 4, 2, 2], expected.ToArray(), 1e-5, 1e-6);
    }

    [Test]
    public void InnerDimensionMismatchFailsWhenBuilding()
    {
        var a = tf.constant(new float[2, 3]);
        var b = tf.constant(new float[4, 5]);
        Assert.That(() => tf.matmul(a, b), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("Dimensions must be equal"));
        // Transposing a makes it 3x2, still not matching 4x5.
        Assert.That(() => tf.matmul(a, b, transpose_a: true), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("Dimensions must be equal"));
        Assert.That(() => tf.matmul(tf.constant(new float[2, 2, 3]), tf.constant(new float[2, 4, 5])),
            Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("Dimensions must be equal"));
    }

    [Test]
    public void IncompatibleBatchOrDtypeFailsWhenBuilding()
    {
        Assert.That(() => tf.matmul(tf.constant(new float[2, 3, 4]), tf.constant(new float[3, 4, 5])), Throws.InstanceOf<InvalidArgumentException>());
        Assert.That(() => tf.matmul(tf.constant(new float[2, 3]), tf.constant(new int[3, 2])),
            Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("int32").And.Message.Contains("float32"));
    }

    [Test]
    public void InnerDimensionMismatchKnownOnlyAtRunTimeFails()
    {
        var a = tf.placeholder(tf.float32, shape: new[] { -1, -1 });
        var b = tf.placeholder(tf.float32, shape: new[] { -1, -1 });
        var c = tf.matmul(a, b);
        var feeds = new FeedDict { [a] = new float[2, 3], [b] = new float[4, 5] };
        Assert.That(() => Eval(c, feeds), Throws.InstanceOf<InvalidArgumentException>());
    }

    [Test]
    public void Random64x70Times70x50MatchesTripleLoop()
    {
        CheckRandomProduct(64, 70, 50, seed: 42);
    }

    [Test]
    public void LargeProductMatchesTripleLoop()
    {
        // Big enough (m·k·n ≥ 2^18) to take the blocked product split across cores.
        CheckRandomProduct(128, 90, 70, seed: 7);
    }

    private static void CheckRandomProduct(int m, int k, int n, int seed)
    {
        float[] a = Reference.RandomFloats(m * k, seed), b = Reference.RandomFloats(k * n, seed + 1);
        var got = Eval(tf.matmul(tf.constant(a, shape: new[] { m, k }), tf.constant(b, shape: new[] { k, n })));
        Assert.That(got.shape, Is.EqualTo(new[] { m, n }));
        var c = got.ToArray<float>();
        var bad = new List<string>();
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++)
            {
                double exact = 0, scale = 0;
                for (int p = 0; p < k; p++)
                {
                    exact += (double)a[i * k + p] * b[p * n + j];
                    scale += Math.Abs((double)a[i * k + p] * b[p * n + j]);
                }
                // Relative to the size of the terms summed, so near-zero sums of large terms are judged fairly.
                if (Math.Abs(c[i * n + j] - exact) > 1e-4 * scale && bad.Count < 5) bad.Add($"[{i},{j}] expected {exact}, got {c[i * n + j]}");
            }
        Assert.That(bad, Is.Empty);
    }

    [Test]
    public void NaNAndInfinityPropagateThroughZeros()
    {
        // As IEEE arithmetic and TensorFlow: 0·NaN and 0·∞ are NaN, so a NaN in B reaches the output even where A is 0.
        var a = tf.constant(new[,] { { 0f, 1f }, { 1f, 0f } });
        var b = tf.constant(new[,] { { float.NaN }, { 2f } });
        MathAssert.Close(Eval(tf.matmul(a, b)), tf.float32, [2, 1], [double.NaN, double.NaN], 0);
        var inf = tf.constant(new[,] { { float.PositiveInfinity }, { 2f } });
        MathAssert.Close(Eval(tf.matmul(a, inf)), tf.float32, [2, 1], [double.NaN, double.PositiveInfinity], 0);
    }
}

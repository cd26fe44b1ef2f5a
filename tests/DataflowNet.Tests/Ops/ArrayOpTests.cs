using DataflowNet;
using NUnit.Framework;

namespace DataflowNet.Tests.Ops;

/// <summary>
/// Array ops against values worked out by hand (or by plain loops), following TensorFlow's documented examples.
/// </summary>
public class ArrayOpTests(string device) : DeviceTest(device)
{
    private static int[] Iota(int n, int start = 0) => Enumerable.Range(start, n).ToArray();

    // ---------- reshape ----------

    [Test]
    public void ReshapeKeepsRowMajorOrderAndInfersMinusOne()
    {
        var x = tf.constant(Iota(12));
        var r = tf.reshape(x, new[] { 3, -1 });
        Assert.That(r.shape.Dims, Is.EqualTo(new[] { 3, 4 }), "static shape infers the -1");
        AssertValue(Eval(r), Iota(12), [3, 4]);

        var r2 = tf.reshape(x, new[] { -1, 2, 3 });
        Assert.That(r2.shape.Dims, Is.EqualTo(new[] { 2, 2, 3 }));
        AssertValue(Eval(r2), Iota(12), [2, 2, 3]);
        // Element [1, 0, 2] of a 2x2x3 reshape is the flat element 1*6 + 0*3 + 2 = 8.
        Assert.That((int)Eval(r2[1, 0, 2]), Is.EqualTo(8));
    }

    [Test]
    public void ReshapeToScalarAndFromPlaceholderOfUnknownShape()
    {
        AssertValue(Eval(tf.reshape(tf.constant(new[] { 7 }), Array.Empty<int>())), new[] { 7 }, []);

        var p = tf.placeholder(tf.float32);
        var r = tf.reshape(p, new[] { -1, 2 });
        var v = Eval(r, new FeedDict { [p] = new float[] { 1, 2, 3, 4, 5, 6 } });
        AssertValue(v, new float[] { 1, 2, 3, 4, 5, 6 }, [3, 2]);
    }

    [Test]
    public void ReshapeWithDifferentElementCountFailsAtBuildTime()
    {
        var x = tf.constant(Iota(6));
        var e = Assert.Throws<InvalidArgumentException>(() => tf.reshape(x, new[] { 4, 2 }));
        Assert.That(e!.Message, Does.Contain("Cannot reshape"));
        var e2 = Assert.Throws<InvalidArgumentException>(() => tf.reshape(x, new[] { 4, -1 }));
        Assert.That(e2!.Message, Does.Contain("Cannot reshape"));
    }

    [Test]
    public void ReshapeOfFedValueWithWrongCountFailsAtRunTime()
    {
        var p = tf.placeholder(tf.int32);
        var r = tf.reshape(p, new[] { 2, 2 });
        Assert.Throws<InvalidArgumentException>(() => Eval(r, new FeedDict { [p] = Iota(6) }));
    }

    // ---------- transpose ----------

    [Test]
    public void TransposeDefaultReversesDimensions()
    {
        // TF docs: x = [[1, 2, 3], [4, 5, 6]]; tf.transpose(x) == [[1, 4], [2, 5], [3, 6]].
        var x = tf.constant(new[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        var t = tf.transpose(x);
        Assert.That(t.shape.Dims, Is.EqualTo(new[] { 3, 2 }));
        AssertValue(Eval(t), new[] { 1, 4, 2, 5, 3, 6 }, [3, 2]);
    }

    [Test]
    public void TransposeDefaultOnRank3ReversesAllAxes()
    {
        int[] dims = [2, 3, 4];
        var x = tf.reshape(tf.constant(Iota(24)), dims);
        var t = tf.transpose(x);
        var expected = new int[24];
        int n = 0;
        for (int k = 0; k < 4; k++)
            for (int j = 0; j < 3; j++)
                for (int i = 0; i < 2; i++)
                    expected[n++] = i * 12 + j * 4 + k;
        AssertValue(Eval(t), expected, [4, 3, 2]);
    }

    [Test]
    public void TransposeWithExplicitPermOnRank3()
    {
        // TF docs: x of shape [2, 2, 3], perm [0, 2, 1] transposes each inner matrix.
        var x = tf.constant(new[,,] { { { 1, 2, 3 }, { 4, 5, 6 } }, { { 7, 8, 9 }, { 10, 11, 12 } } });
        var t = tf.transpose(x, [0, 2, 1]);
        Assert.That(t.shape.Dims, Is.EqualTo(new[] { 2, 3, 2 }));
        AssertValue(Eval(t), new[] { 1, 4, 2, 5, 3, 6, 7, 10, 8, 11, 9, 12 }, [2, 3, 2]);

        // perm [1, 2, 0]: out[j, k, i] = x[i, j, k], out shape [2, 3, 2].
        var t2 = tf.transpose(x, [1, 2, 0]);
        var expected = new List<int>();
        for (int j = 0; j < 2; j++)
            for (int k = 0; k < 3; k++)
                for (int i = 0; i < 2; i++)
                    expected.Add(i * 6 + j * 3 + k + 1);
        AssertValue(Eval(t2), expected.ToArray(), [2, 3, 2]);
    }

    [Test]
    public void TransposeOfAPlaceholderOfUnknownRankReversesAtRunTime()
    {
        var p = tf.placeholder(tf.int32);
        var t = tf.transpose(p);
        var v = Eval(t, new FeedDict { [p] = new[,,] { { { 1, 2 } }, { { 3, 4 } }, { { 5, 6 } } } });
        // Input shape [3, 1, 2] -> [2, 1, 3]; out[k, 0, i] = in[i, 0, k].
        AssertValue(v, new[] { 1, 3, 5, 2, 4, 6 }, [2, 1, 3]);
    }

    [Test]
    public void UnstackNeedsNumWhenTheDimensionIsUnknown()
    {
        var p = tf.placeholder(tf.float32, shape: new[] { -1, 2 });
        Assert.Throws<InvalidArgumentException>(() => tf.unstack(p));
        var parts = tf.unstack(p, num: 2, axis: 1);
        var v = Eval(parts[1], new FeedDict { [p] = new[,] { { 1f, 2f }, { 3f, 4f }, { 5f, 6f } } });
        AssertValue(v, new[] { 2f, 4f, 6f }, [3]);
    }

    [Test]
    public void TransposeRejectsABadPermutation()
    {
        var x = tf.constant(new[,] { { 1, 2 }, { 3, 4 } });
        Assert.Throws<InvalidArgumentException>(() => tf.transpose(x, [0, 0]));
        Assert.Throws<InvalidArgumentException>(() => tf.transpose(x, [0, 1, 2]));
    }

    // ---------- expand_dims / squeeze ----------

    [Test]
    public void ExpandDimsAtFrontBackAndNegativeAxis()
    {
        var x = tf.constant(new[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        int[] values = [1, 2, 3, 4, 5, 6];
        Assert.That(tf.expand_dims(x, 0).shape.Dims, Is.EqualTo(new[] { 1, 2, 3 }));
        Assert.That(tf.expand_dims(x, 1).shape.Dims, Is.EqualTo(new[] { 2, 1, 3 }));
        Assert.That(tf.expand_dims(x, 2).shape.Dims, Is.EqualTo(new[] { 2, 3, 1 }));
        // -1 means after the last dimension (axis rank + 1 + axis).
        Assert.That(tf.expand_dims(x, -1).shape.Dims, Is.EqualTo(new[] { 2, 3, 1 }));
        Assert.That(tf.expand_dims(x, -3).shape.Dims, Is.EqualTo(new[] { 1, 2, 3 }));
        AssertValue(Eval(tf.expand_dims(x, -1)), values, [2, 3, 1]);
        AssertValue(Eval(tf.expand_dims(x, -2)), values, [2, 1, 3]);
        Assert.Throws<InvalidArgumentException>(() => tf.expand_dims(x, 3));
        Assert.Throws<InvalidArgumentException>(() => tf.expand_dims(x, -4));
    }

    [Test]
    public void SqueezeRemovesAllSizeOneDimensionsOrTheGivenOnes()
    {
        // TF docs: t of shape [1, 2, 1, 3, 1, 1]: squeeze(t) -> [2, 3]; squeeze(t, [2, 4]) -> [1, 2, 3, 1].
        var t = tf.reshape(tf.constant(Iota(6)), new[] { 1, 2, 1, 3, 1, 1 });
        var all = tf.squeeze(t);
        Assert.That(all.shape.Dims, Is.EqualTo(new[] { 2, 3 }));
        AssertValue(Eval(all), Iota(6), [2, 3]);

        var some = tf.squeeze(t, [2, 4]);
        Assert.That(some.shape.Dims, Is.EqualTo(new[] { 1, 2, 3, 1 }));
        AssertValue(Eval(some), Iota(6), [1, 2, 3, 1]);

        var negative = tf.squeeze(t, [-1]);
        AssertValue(Eval(negative), Iota(6), [1, 2, 1, 3, 1]);
    }

    [Test]
    public void SqueezingADimensionOfSizeThreeFails()
    {
        var t = tf.reshape(tf.constant(Iota(6)), new[] { 1, 2, 3 });
        var e = Assert.Throws<InvalidArgumentException>(() => tf.squeeze(t, [2]));
        Assert.That(e!.Message, Does.Contain("squeeze"));

        // The same check at run time, when the shape is only known from the feed.
        var p = tf.placeholder(tf.int32);
        var s = tf.squeeze(p, [1]);
        Assert.Throws<InvalidArgumentException>(() => Eval(s, new FeedDict { [p] = new[,] { { 1, 2, 3 } } }));
    }

    // ---------- concat / stack / unstack ----------

    [Test]
    public void ConcatAlongAxis0And1AndNegativeAxis()
    {
        // TF docs: t1 = [[1, 2, 3], [4, 5, 6]], t2 = [[7, 8, 9], [10, 11, 12]].
        var t1 = tf.constant(new[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        var t2 = tf.constant(new[,] { { 7, 8, 9 }, { 10, 11, 12 } });
        AssertValue(Eval(tf.concat([t1, t2], 0)), new[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }, [4, 3]);
        AssertValue(Eval(tf.concat([t1, t2], 1)), new[] { 1, 2, 3, 7, 8, 9, 4, 5, 6, 10, 11, 12 }, [2, 6]);
        AssertValue(Eval(tf.concat([t1, t2], -1)), new[] { 1, 2, 3, 7, 8, 9, 4, 5, 6, 10, 11, 12 }, [2, 6]);
        AssertValue(Eval(tf.concat([t1, t2], -2)), new[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }, [4, 3]);
    }

    [Test]
    public void ConcatOfUnequalSizesAlongTheAxisAndThreeInputs()
    {
        var a = tf.constant(new[,] { { 1 }, { 2 } });
        var b = tf.constant(new[,] { { 3, 4 }, { 5, 6 } });
        var c = tf.constant(new[,] { { 7, 8, 9 }, { 10, 11, 12 } });
        var r = tf.concat([a, b, c], 1);
        Assert.That(r.shape.Dims, Is.EqualTo(new[] { 2, 6 }));
        AssertValue(Eval(r), new[] { 1, 3, 4, 7, 8, 9, 2, 5, 6, 10, 11, 12 }, [2, 6]);
    }

    [Test]
    public void ConcatWithMismatchedDimensionsFailsAtBuildTime()
    {
        var a = tf.constant(new[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        var b = tf.constant(new[,] { { 1, 2 }, { 3, 4 } });
        // Along axis 0 the other dimension (3 vs 2) must match.
        Assert.Throws<InvalidArgumentException>(() => tf.concat([a, b], 0));
        // Ranks must match too.
        Assert.Throws<InvalidArgumentException>(() => tf.concat([a, tf.constant(new[] { 1, 2, 3 })], 0));
        // Along axis 1 it is fine: [2, 5].
        Assert.That(tf.concat([a, b], 1).shape.Dims, Is.EqualTo(new[] { 2, 5 }));
    }

    [Test]
    public void StackAlongAxis0And1()
    {
        // TF docs: x = [1, 4], y = [2, 5], z = [3, 6]; stack -> [[1, 4], [2, 5], [3, 6]]; axis=1 -> [[1, 2, 3], [4, 5, 6]].
        var x = tf.constant(new[] { 1, 4 });
        var y = tf.constant(new[] { 2, 5 });
        var z = tf.constant(new[] { 3, 6 });
        AssertValue(Eval(tf.stack([x, y, z])), new[] { 1, 4, 2, 5, 3, 6 }, [3, 2]);
        AssertValue(Eval(tf.stack([x, y, z], axis: 1)), new[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        AssertValue(Eval(tf.stack([x, y, z], axis: -1)), new[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
    }

    [Test]
    public void StackOfScalarsGivesAVector()
    {
        AssertValue(Eval(tf.stack([tf.constant(1f), tf.constant(2f), 3f])), new[] { 1f, 2f, 3f }, [3]);
    }

    [Test]
    public void UnstackAlongAxis0And1()
    {
        var m = tf.constant(new[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        var rows = tf.unstack(m);
        Assert.That(rows, Has.Length.EqualTo(2));
        AssertValue(Eval(rows[0]), new[] { 1, 2, 3 }, [3]);
        AssertValue(Eval(rows[1]), new[] { 4, 5, 6 }, [3]);

        var cols = tf.unstack(m, axis: 1);
        Assert.That(cols, Has.Length.EqualTo(3));
        AssertValue(Eval(cols[0]), new[] { 1, 4 }, [2]);
        AssertValue(Eval(cols[1]), new[] { 2, 5 }, [2]);
        AssertValue(Eval(cols[2]), new[] { 3, 6 }, [2]);
    }

    [Test]
    public void UnstackThenStackRoundTripsOnRank3()
    {
        var x = tf.reshape(tf.constant(Iota(24)), new[] { 2, 3, 4 });
        var parts = tf.unstack(x, axis: 1);
        Assert.That(parts, Has.Length.EqualTo(3));
        Assert.That(parts[0].shape.Dims, Is.EqualTo(new[] { 2, 4 }));
        // parts[1][i, k] = x[i, 1, k] = i*12 + 4 + k.
        AssertValue(Eval(parts[1]), new[] { 4, 5, 6, 7, 16, 17, 18, 19 }, [2, 4]);
        AssertValue(Eval(tf.stack(parts.Select(p => (TensorLike)p), axis: 1)), Iota(24), [2, 3, 4]);
    }

    // ---------- split ----------

    [Test]
    public void SplitIntoEqualParts()
    {
        var x = tf.reshape(tf.constant(Iota(12)), new[] { 2, 6 });
        var parts = tf.split(x, 3, axis: 1);
        Assert.That(parts, Has.Length.EqualTo(3));
        Assert.That(parts.Select(p => p.shape.Dims), Has.All.EqualTo(new[] { 2, 2 }));
        AssertValue(Eval(parts[0]), new[] { 0, 1, 6, 7 }, [2, 2]);
        AssertValue(Eval(parts[1]), new[] { 2, 3, 8, 9 }, [2, 2]);
        AssertValue(Eval(parts[2]), new[] { 4, 5, 10, 11 }, [2, 2]);

        var rows = tf.split(x, 2);
        AssertValue(Eval(rows[1]), new[] { 6, 7, 8, 9, 10, 11 }, [1, 6]);
        Assert.Throws<InvalidArgumentException>(() => tf.split(x, 4, axis: 1), "6 columns do not split 4 ways");
    }

    [Test]
    public void SplitWithSizeSplits()
    {
        // TF docs: value of shape [5, 30]; split(value, [4, 15, 11], 1) gives shapes [5, 4], [5, 15], [5, 11].
        var x = tf.reshape(tf.constant(Iota(150)), new[] { 5, 30 });
        var parts = tf.split(x, new[] { 4, 15, 11 }, axis: 1);
        Assert.That(parts.Select(p => p.shape.Dims), Is.EqualTo(new[] { new[] { 5, 4 }, new[] { 5, 15 }, new[] { 5, 11 } }));
        var v = Eval(parts[2]);
        var expected = new List<int>();
        for (int r = 0; r < 5; r++)
            for (int c = 19; c < 30; c++) expected.Add(r * 30 + c);
        AssertValue(v, expected.ToArray(), [5, 11]);
    }

    [Test]
    public void SplitWithSizeSplitsInferringMinusOne()
    {
        var x = tf.constant(Iota(10));
        var parts = tf.split(x, new[] { 3, -1, 2 });
        Assert.That(parts, Has.Length.EqualTo(3));
        Assert.That(parts[1].shape.Dims, Is.EqualTo(new[] { 5 }), "the -1 part takes what is left: 10 - 3 - 2");
        AssertValue(Eval(parts[0]), new[] { 0, 1, 2 }, [3]);
        AssertValue(Eval(parts[1]), new[] { 3, 4, 5, 6, 7 }, [5]);
        AssertValue(Eval(parts[2]), new[] { 8, 9 }, [2]);

        // Along axis 1 of a matrix: [2, 5] split as [-1, 4] gives [2, 1] and [2, 4].
        var m = tf.reshape(x, new[] { 2, 5 });
        var cols = tf.split(m, new[] { -1, 4 }, axis: 1);
        Assert.That(cols[0].shape.Dims, Is.EqualTo(new[] { 2, 1 }));
        AssertValue(Eval(cols[0]), new[] { 0, 5 }, [2, 1]);
        AssertValue(Eval(cols[1]), new[] { 1, 2, 3, 4, 6, 7, 8, 9 }, [2, 4]);

        // When the dimension is only known at run time, the -1 part is worked out then.
        var p = tf.placeholder(tf.int32);
        var fed = tf.split(p, new[] { 1, -1 });
        Assert.That(fed[1].shape.IsUnknownRank, Is.True);
        AssertValue(Eval(fed[1], new FeedDict { [p] = new[] { 5, 6, 7, 8 } }), new[] { 6, 7, 8 }, [3]);
    }

    [Test]
    public void SplitWithSizeSplitsThatDoNotSumFails()
    {
        var x = tf.constant(Iota(10));
        Assert.Throws<InvalidArgumentException>(() => tf.split(x, new[] { 3, 3 }));
        Assert.Throws<InvalidArgumentException>(() => tf.split(x, new[] { 8, -1, 4 }), "known sizes already exceed 10");
        Assert.Throws<InvalidArgumentException>(() => tf.split(x, new[] { -1, -1 }), "only one size may be -1");
    }

    // ---------- slice ----------

    [Test]
    public void SliceFromTensorFlowDocs()
    {
        // t = [[[1, 1, 1], [2, 2, 2]], [[3, 3, 3], [4, 4, 4]], [[5, 5, 5], [6, 6, 6]]]
        var t = tf.constant(new[,,]
        {
            { { 1, 1, 1 }, { 2, 2, 2 } },
            { { 3, 3, 3 }, { 4, 4, 4 } },
            { { 5, 5, 5 }, { 6, 6, 6 } },
        });
        AssertValue(Eval(tf.slice(t, [1, 0, 0], [1, 1, 3])), new[] { 3, 3, 3 }, [1, 1, 3]);
        AssertValue(Eval(tf.slice(t, [1, 0, 0], [1, 2, 3])), new[] { 3, 3, 3, 4, 4, 4 }, [1, 2, 3]);
        AssertValue(Eval(tf.slice(t, [1, 0, 0], [2, 1, 3])), new[] { 3, 3, 3, 5, 5, 5 }, [2, 1, 3]);
    }

    [Test]
    public void SliceWithSizeMinusOneTakesTheRest()
    {
        var x = tf.reshape(tf.constant(Iota(20)), new[] { 4, 5 });
        var s = tf.slice(x, [1, 2], [-1, -1]);
        Assert.That(s.shape.Dims, Is.EqualTo(new[] { 3, 3 }));
        AssertValue(Eval(s), new[] { 7, 8, 9, 12, 13, 14, 17, 18, 19 }, [3, 3]);
        AssertValue(Eval(tf.slice(x, [2, 1], [1, -1])), new[] { 11, 12, 13, 14 }, [1, 4]);
        Assert.Throws<InvalidArgumentException>(() => tf.slice(x, [3, 0], [2, 1]), "rows 3..4 of 4");
    }

    // ---------- gather ----------

    [Test]
    public void GatherAlongAxis0()
    {
        var p = tf.constant(new[,] { { 1, 2 }, { 3, 4 }, { 5, 6 } });
        AssertValue(Eval(tf.gather(p, new[] { 2, 0, 2 })), new[] { 5, 6, 1, 2, 5, 6 }, [3, 2]);
        // A scalar index removes the axis.
        AssertValue(Eval(tf.gather(p, 1)), new[] { 3, 4 }, [2]);
        // Indices of rank 2 give an output of rank 3: [2, 2] + [2].
        AssertValue(Eval(tf.gather(p, new[,] { { 0, 1 }, { 1, 2 } })), new[] { 1, 2, 3, 4, 3, 4, 5, 6 }, [2, 2, 2]);
    }

    [Test]
    public void GatherAlongAxis1()
    {
        var p = tf.constant(new[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        var g = tf.gather(p, new[] { 2, 0 }, axis: 1);
        Assert.That(g.shape.Dims, Is.EqualTo(new[] { 2, 2 }));
        AssertValue(Eval(g), new[] { 3, 1, 6, 4 }, [2, 2]);
        AssertValue(Eval(tf.gather(p, new[] { 1, 1, 1 }, axis: -1)), new[] { 2, 2, 2, 5, 5, 5 }, [2, 3]);
    }

    [Test]
    public void GatherOfAnOutOfRangeIndexFailsAtRunTimeNamingTheIndex()
    {
        var p = tf.constant(new[] { 10, 20, 30 });
        var g = tf.gather(p, new[] { 0, 7 });
        Assert.That(g.shape.Dims, Is.EqualTo(new[] { 2 }), "built without error: indices are values, checked at run time");
        var e = Assert.Throws<InvalidArgumentException>(() => Eval(g));
        Assert.That(e!.Message, Does.Contain("7"));
        Assert.That(e.Message, Does.Contain("indices[1]"));

        var neg = tf.gather(p, new[] { -1 });
        Assert.Throws<InvalidArgumentException>(() => Eval(neg));
    }

    [Test]
    public void GatherWithBatchDimsTakesEachBatchsOwnIndices()
    {
        // TensorFlow's documented example (tf.gather, batch_dims): row r of the result gathers row r of params.
        var p = tf.constant(new[,] { { 0f, 0f, 1f, 0f, 2f }, { 3f, 0f, 0f, 0f, 4f }, { 0f, 5f, 0f, 6f, 0f } });
        var idx = tf.constant(new[,] { { 2, 4 }, { 0, 4 }, { 1, 3 } });
        var g = tf.gather(p, idx, axis: 1, batch_dims: 1);
        Assert.That(g.shape.Dims, Is.EqualTo(new[] { 3, 2 }));
        AssertValue(Eval(g), new[] { 1f, 2f, 3f, 4f, 5f, 6f }, [3, 2]);
        // The axis defaults to batch_dims; batch_dims = -1 counts from the indices' rank (2 - 1 = 1).
        AssertValue(Eval(tf.gather(p, idx, axis: 1, batch_dims: -1)), new[] { 1f, 2f, 3f, 4f, 5f, 6f }, [3, 2]);

        // Dims between the batch and the axis (M), and after it (inner): params [B=2, M=2, N=3, inner=2], indices [2, 2]:
        // out[b, m, i, :] = params[b, m, idx[b, i], :], written out by hand.
        var q = tf.constant(Enumerable.Range(0, 24).Select(v => (float)v).ToArray(), shape: new TensorShape(2, 2, 3, 2));
        var batched = tf.gather(q, new[,] { { 2, 0 }, { 1, 1 } }, axis: 2, batch_dims: 1);
        Assert.That(batched.shape.Dims, Is.EqualTo(new[] { 2, 2, 2, 2 }));
        AssertValue(Eval(batched), new[]
        {
            4f, 5f, 0f, 1f,       // b 0, m 0: rows 2 and 0 of [[0 1] [2 3] [4 5]]
            10f, 11f, 6f, 7f,     // b 0, m 1: rows 2 and 0 of [[6 7] [8 9] [10 11]]
            14f, 15f, 14f, 15f,   // b 1, m 0: row 1 twice of [[12 13] [14 15] [16 17]]
            20f, 21f, 20f, 21f,   // b 1, m 1: row 1 twice of [[18 19] [20 21] [22 23]]
        }, [2, 2, 2, 2]);
        // Int64 indices and two batch dims: params [2, 2, 3], indices [2, 2, 1].
        var r = tf.constant(Enumerable.Range(0, 12).Select(v => (float)v).ToArray(), shape: new TensorShape(2, 2, 3));
        var two = tf.gather(r, tf.constant(new long[] { 2, 0, 1, 2 }, shape: new TensorShape(2, 2, 1)), batch_dims: 2);
        AssertValue(Eval(two), new[] { 2f, 3f, 7f, 11f }, [2, 2, 1]);
    }

    [Test]
    public void GatherWithBatchDimsRefusesIndicesOutOfTheirBatchesRowsAndShapesThatDoNotAgree()
    {
        var p = tf.constant(new[,] { { 1f, 2f, 3f }, { 4f, 5f, 6f } });
        // Index 3 would read the next batch's first element if batches were flattened: it must fail instead.
        var e = Assert.Throws<InvalidArgumentException>(() => Eval(tf.gather(p, new[,] { { 0 }, { 3 } }, axis: 1, batch_dims: 1)));
        Assert.That(e!.Message, Does.Contain("indices[1] = 3 is not in [0, 3)"));
        var shapes = Assert.Throws<InvalidArgumentException>(() => tf.gather(p, new[,] { { 0 }, { 1 }, { 2 } }, axis: 1, batch_dims: 1));
        Assert.That(shapes!.Message, Does.Contain("must agree in their first 1 (batch) dims; dim 0 is 2 and 3"));
        var past = Assert.Throws<InvalidArgumentException>(() => tf.gather(p, new[,] { { 0 }, { 1 } }, axis: 0, batch_dims: 1));
        Assert.That(past!.Message, Does.Contain("batch_dims = 1 must be at most the axis, 0"));
        var rank = Assert.Throws<InvalidArgumentException>(() => tf.gather(p, new[] { 0, 1 }, axis: 1, batch_dims: 2));
        Assert.That(rank!.Message, Does.Contain("batch_dims = 2 must be in [-1, 1] for indices of rank 1"));
    }

    // ---------- tile / pad / one_hot ----------

    [Test]
    public void TileRepeatsEachDimension()
    {
        // TF docs: a = [[1, 2, 3], [4, 5, 6]]; tile(a, [1, 2]) and tile(a, [2, 1]), tile(a, [2, 2]).
        var a = tf.constant(new[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        AssertValue(Eval(tf.tile(a, [1, 2])), new[] { 1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6 }, [2, 6]);
        AssertValue(Eval(tf.tile(a, [2, 1])), new[] { 1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6 }, [4, 3]);
        AssertValue(Eval(tf.tile(a, [2, 2])),
            new[] { 1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6, 1, 2, 3, 1, 2, 3, 4, 5, 6, 4, 5, 6 }, [4, 6]);
        AssertValue(Eval(tf.tile(tf.constant(new[] { 7, 8 }), [3])), new[] { 7, 8, 7, 8, 7, 8 }, [6]);
    }

    [Test]
    public void PadWithZerosFromTensorFlowDocs()
    {
        // TF docs: t = [[1, 2, 3], [4, 5, 6]]; paddings = [[1, 1], [2, 2]].
        var t = tf.constant(new[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        var padded = tf.pad(t, new[,] { { 1, 1 }, { 2, 2 } });
        Assert.That(padded.shape.Dims, Is.EqualTo(new[] { 4, 7 }));
        AssertValue(Eval(padded), new[]
        {
            0, 0, 0, 0, 0, 0, 0,
            0, 0, 1, 2, 3, 0, 0,
            0, 0, 4, 5, 6, 0, 0,
            0, 0, 0, 0, 0, 0, 0,
        }, [4, 7]);
    }

    [Test]
    public void PadWithConstantValuesAndUnevenPaddings()
    {
        var t = tf.constant(new[,] { { 1f, 2f, 3f }, { 4f, 5f, 6f } });
        var padded = tf.pad(t, new[,] { { 0, 1 }, { 1, 0 } }, constant_values: 9f);
        AssertValue(Eval(padded), new float[]
        {
            9, 1, 2, 3,
            9, 4, 5, 6,
            9, 9, 9, 9,
        }, [3, 4]);
        // REFLECT mirrors without the edge: row -1 is row 1, column 3 is column 1.
        AssertValue(Eval(tf.pad(t, new[,] { { 1, 1 }, { 1, 1 } }, mode: "REFLECT")),
            new float[] { 5, 4, 5, 6, 5, 2, 1, 2, 3, 2, 5, 4, 5, 6, 5, 2, 1, 2, 3, 2 }, [4, 5]);
    }

    [Test]
    public void SequenceMaskAsTensorFlowsDocumentationShowsIt()
    {
        // tf.sequence_mask([1, 3, 2], 5) and, with maxlen the largest length (3), tf.sequence_mask([[1, 3], [2, 0]]).
        AssertValue(Eval(tf.sequence_mask(tf.constant(new[] { 1, 3, 2 }), 5)), new[]
        {
            true, false, false, false, false,
            true, true, true, false, false,
            true, true, false, false, false,
        }, [3, 5]);
        AssertValue(Eval(tf.sequence_mask(tf.constant(new[,] { { 1, 3 }, { 2, 0 } }))), new[]
        {
            true, false, false, true, true, true,
            true, true, false, false, false, false,
        }, [2, 2, 3]);
        // As float32 weights for a padded loss, from int64 lengths and a fed maxlen.
        var maxlen = tf.placeholder(tf.int32, shape: new TensorShape(), name: "maxlen");
        var weights = tf.sequence_mask(tf.constant(new[] { 2L, 0L }), maxlen, tf.float32);
        using var sess = tf.Session();
        AssertValue(sess.run(weights, (maxlen, 3)), new[] { 1f, 1f, 0f, 0f, 0f, 0f }, [2, 3]);
        Assert.That(() => tf.sequence_mask(tf.constant(new[] { 1.5f })), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("lengths must be integers, got float32"));
    }

    [Test]
    public void PadOnRank3()
    {
        var t = tf.reshape(tf.constant(new[] { 1, 2, 3, 4 }), new[] { 2, 1, 2 });
        var padded = tf.pad(t, new[,] { { 0, 0 }, { 1, 0 }, { 0, 1 } });
        AssertValue(Eval(padded), new[]
        {
            0, 0, 0, 1, 2, 0,
            0, 0, 0, 3, 4, 0,
        }, [2, 2, 3]);
    }

    [Test]
    public void OneHotDefaultsToFloat32()
    {
        // TF docs: indices = [0, 1, 2], depth = 3 -> the identity matrix.
        var h = tf.one_hot(new[] { 0, 1, 2 }, 3);
        Assert.That(h.dtype, Is.EqualTo(tf.float32));
        AssertValue(Eval(h), new float[] { 1, 0, 0, 0, 1, 0, 0, 0, 1 }, [3, 3]);
        // An index outside [0, depth) gives a row of off_value.
        AssertValue(Eval(tf.one_hot(new[] { 1, 5, -1 }, 2)), new float[] { 0, 1, 0, 0, 0, 0 }, [3, 2]);
    }

    [Test]
    public void OneHotWithOnAndOffValues()
    {
        // TF docs: indices = [0, 2, -1, 1], depth = 3, on_value = 5.0, off_value = 0.0, axis = -1.
        var h = tf.one_hot(new[] { 0, 2, -1, 1 }, 3, on_value: 5.0, off_value: 0.0);
        AssertValue(Eval(h), new float[] { 5, 0, 0, 0, 0, 5, 0, 0, 0, 0, 5, 0 }, [4, 3]);
    }

    [Test]
    public void OneHotTakesItsDtypeFromIntegerOnAndOffValues()
    {
        // TF: "If dtype is not provided, it will attempt to assume the data type of on_value or off_value".
        var h = tf.one_hot(new[] { 2, 0 }, 3, on_value: 7, off_value: -1);
        Assert.That(h.dtype, Is.EqualTo(tf.int32));
        AssertValue(Eval(h), new[] { -1, -1, 7, 7, -1, -1 }, [2, 3]);
        var explicitDtype = tf.one_hot(new[] { 1 }, 2, dtype: tf.float64);
        AssertValue(Eval(explicitDtype), new[] { 0.0, 1.0 }, [1, 2]);
    }

    [Test]
    public void OneHotAlongAxis0()
    {
        // TF docs: indices = [0, 2, -1, 1], depth = 3, on_value = 5.0, off_value = 0.0, axis = 0 -> shape [3, 4].
        var h = tf.one_hot(new[] { 0, 2, -1, 1 }, 3, on_value: 5.0, off_value: 0.0, axis: 0);
        Assert.That(h.shape.Dims, Is.EqualTo(new[] { 3, 4 }));
        AssertValue(Eval(h), new float[]
        {
            5, 0, 0, 0,
            0, 0, 0, 5,
            0, 5, 0, 0,
        }, [3, 4]);
    }

    [Test]
    public void OneHotOfAMatrixOfIndices()
    {
        // TF docs: indices = [[0, 2], [1, -1]], depth = 3, on 1.0, off 0.0, axis -1 -> shape [2, 2, 3].
        var h = tf.one_hot(new[,] { { 0, 2 }, { 1, -1 } }, 3);
        AssertValue(Eval(h), new float[] { 1, 0, 0, 0, 0, 1, 0, 1, 0, 0, 0, 0 }, [2, 2, 3]);
        // axis 1 on the same indices: out[i, d, j] = indices[i, j] == d.
        var h1 = tf.one_hot(new[,] { { 0, 2 }, { 1, -1 } }, 3, axis: 1);
        AssertValue(Eval(h1), new float[] { 1, 0, 0, 0, 0, 1, 0, 0, 1, 0, 0, 0 }, [2, 3, 2]);
    }

    // ---------- shape / size / rank ----------

    [Test]
    public void ShapeSizeRankOfAConstant()
    {
        var x = tf.zeros(new[] { 2, 3, 4 });
        AssertValue(Eval(tf.shape(x)), new[] { 2, 3, 4 }, [3]);
        AssertValue(Eval(tf.shape(x, out_type: tf.int64)), new[] { 2L, 3L, 4L }, [3]);
        AssertValue(Eval(tf.size(x)), new[] { 24 }, []);
        AssertValue(Eval(tf.rank(x)), new[] { 3 }, []);
        AssertValue(Eval(tf.rank(tf.constant(5))), new[] { 0 }, []);
        AssertValue(Eval(tf.shape(tf.constant(5))), Array.Empty<int>(), [0]);
    }

    [Test]
    public void ShapeSizeRankOfAPartlyUnknownPlaceholderAreKnownAtRunTime()
    {
        var p = tf.placeholder(tf.float32, shape: new[] { -1, 3 });
        var s = tf.shape(p);
        Assert.That(s.shape.Dims, Is.EqualTo(new[] { 2 }), "the shape vector's length is the known rank");
        var feed = new FeedDict { [p] = new float[5, 3] };
        AssertValue(Eval(s, feed), new[] { 5, 3 }, [2]);
        AssertValue(Eval(tf.size(p), feed), new[] { 15 }, []);
        AssertValue(Eval(tf.rank(p), feed), new[] { 2 }, []);
        // The same graph with another batch size.
        AssertValue(Eval(s, new FeedDict { [p] = new float[1, 3] }), new[] { 1, 3 }, [2]);
    }

    [Test]
    public void ShapeOfAPlaceholderOfUnknownRank()
    {
        var p = tf.placeholder(tf.int32);
        var s = tf.shape(p);
        Assert.That(s.shape.Rank, Is.EqualTo(1));
        AssertValue(Eval(s, new FeedDict { [p] = new int[2, 1, 4] }), new[] { 2, 1, 4 }, [3]);
        AssertValue(Eval(tf.rank(p), new FeedDict { [p] = new int[2, 1, 4] }), new[] { 3 }, []);
    }

    // ---------- fill / zeros / ones / *_like ----------

    [Test]
    public void FillZerosAndOnes()
    {
        // TF docs: tf.fill([2, 3], 9) -> [[9, 9, 9], [9, 9, 9]].
        AssertValue(Eval(tf.fill(new[] { 2, 3 }, 9)), Enumerable.Repeat(9, 6).ToArray(), [2, 3]);
        AssertValue(Eval(tf.fill(new[] { 2 }, "ab")), new[] { "ab", "ab" }, [2]);
        AssertValue(Eval(tf.zeros(new[] { 2, 2 })), new float[4], [2, 2]);
        AssertValue(Eval(tf.ones(3)), new[] { 1f, 1f, 1f }, [3]);
        AssertValue(Eval(tf.zeros(new[] { 3 }, tf.int32)), new[] { 0, 0, 0 }, [3]);
        AssertValue(Eval(tf.ones(new[] { 1, 2 }, tf.int64)), new[] { 1L, 1L }, [1, 2]);
        AssertValue(Eval(tf.ones(new[] { 2 }, tf.float64)), new[] { 1.0, 1.0 }, [2]);
        AssertValue(Eval(tf.ones(new[] { 2 }, tf.@bool)), new[] { true, true }, [2]);
        AssertValue(Eval(tf.zeros(new[] { 2 }, tf.uint8)), new byte[] { 0, 0 }, [2]);
        AssertValue(Eval(tf.zeros(Array.Empty<int>())), new[] { 0f }, []);
    }

    [Test]
    public void FillWithARunTimeShape()
    {
        var p = tf.placeholder(tf.float32, shape: new[] { -1, 2 });
        var f = tf.fill(tf.shape(p), 4f);
        AssertValue(Eval(f, new FeedDict { [p] = new float[3, 2] }), Enumerable.Repeat(4f, 6).ToArray(), [3, 2]);
    }

    [Test]
    public void ZerosLikeAndOnesLikeKeepShapeAndDtype()
    {
        var x = tf.constant(new[,] { { 5, 6, 7 }, { 8, 9, 10 } });
        AssertValue(Eval(tf.zeros_like(x)), new int[6], [2, 3]);
        AssertValue(Eval(tf.ones_like(x)), Enumerable.Repeat(1, 6).ToArray(), [2, 3]);
        AssertValue(Eval(tf.ones_like(x, tf.float32)), Enumerable.Repeat(1f, 6).ToArray(), [2, 3]);
        AssertValue(Eval(tf.zeros_like(tf.constant(new[] { 1.5, 2.5 }, dtype: tf.float64))), new[] { 0.0, 0.0 }, [2]);
        AssertValue(Eval(tf.zeros_like(tf.constant(new[] { "a", "b" }))), new[] { "", "" }, [2]);

        var p = tf.placeholder(tf.float32);
        AssertValue(Eval(tf.ones_like(p), new FeedDict { [p] = new float[] { 3, 4 } }), new[] { 1f, 1f }, [2]);
    }

    // ---------- range / linspace ----------

    [Test]
    public void RangeOfIntegers()
    {
        var r = tf.range(5);
        Assert.That(r.dtype, Is.EqualTo(tf.int32));
        AssertValue(Eval(r), new[] { 0, 1, 2, 3, 4 }, [5]);
        // TF docs: tf.range(3, 18, 3) -> [3, 6, 9, 12, 15].
        AssertValue(Eval(tf.range(3, 18, 3)), new[] { 3, 6, 9, 12, 15 }, [5]);
        AssertValue(Eval(tf.range(3, 19, 3)), new[] { 3, 6, 9, 12, 15, 18 }, [6]);
        AssertValue(Eval(tf.range(2, 2)), Array.Empty<int>(), [0]);
    }

    [Test]
    public void RangeOfFloats()
    {
        // TF docs: tf.range(start=3, limit=1, delta=-0.5) -> [3, 2.5, 2, 1.5]; a float argument makes float32.
        var r = tf.range(1.0, 2.0, 0.25);
        Assert.That(r.dtype, Is.EqualTo(tf.float32));
        AssertValue(Eval(r), new[] { 1f, 1.25f, 1.5f, 1.75f }, [4]);
        AssertValue(Eval(tf.range(3, 1, -0.5)), new[] { 3f, 2.5f, 2f, 1.5f }, [4]);
        AssertValue(Eval(tf.range(0, 1, 0.3)), new[] { 0f, 0.3f, 0.6f, 0.9f }, [4], tolerance: 1e-6);
    }

    [Test]
    public void RangeWithANegativeDelta()
    {
        var r = tf.range(10, 2, -3);
        Assert.That(r.shape.Dims, Is.EqualTo(new[] { 3 }));
        AssertValue(Eval(r), new[] { 10, 7, 4 }, [3]);
        AssertValue(Eval(tf.range(0, -5, -1)), new[] { 0, -1, -2, -3, -4 }, [5]);
        Assert.Throws<InvalidArgumentException>(() => tf.range(2, 10, -1), "a negative delta cannot climb from 2 to 10");
        Assert.Throws<InvalidArgumentException>(() => tf.range(0, 3, 0));
    }

    [Test]
    public void RangeWithInt64AndTensorArguments()
    {
        AssertValue(Eval(tf.range(4, dtype: tf.int64)), new[] { 0L, 1L, 2L, 3L }, [4]);
        var limit = tf.placeholder(tf.int32, shape: Array.Empty<int>());
        var r = tf.range(0, limit, 2);
        AssertValue(Eval(r, new FeedDict { [limit] = 7 }), new[] { 0, 2, 4, 6 }, [4]);
    }

    [Test]
    public void LinspaceIncludesBothEnds()
    {
        // TF docs: tf.linspace(10.0, 12.0, 3) -> [10.0, 11.0, 12.0].
        var l = tf.linspace(10.0, 12.0, 3);
        Assert.That(l.dtype, Is.EqualTo(tf.float32));
        AssertValue(Eval(l), new[] { 10f, 11f, 12f }, [3]);
        AssertValue(Eval(tf.linspace(0.0, 1.0, 5)), new[] { 0f, 0.25f, 0.5f, 0.75f, 1f }, [5]);
        AssertValue(Eval(tf.linspace(3.0, 3.0, 1)), new[] { 3f }, [1]);
        AssertValue(Eval(tf.linspace(1.0, -1.0, 3)), new[] { 1f, 0f, -1f }, [3]);
    }
}

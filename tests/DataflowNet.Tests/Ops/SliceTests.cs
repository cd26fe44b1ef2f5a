using DataflowNet;
using NUnit.Framework;

namespace DataflowNet.Tests.Ops;

/// <summary>
/// The Python slicing indexer (one StridedSlice op) against NumPy's semantics, worked out by hand on
/// x = arange(24).reshape(2, 3, 4), so x[i, j, k] = 12i + 4j + k, and on v = arange(10).
/// </summary>
public class SliceTests(string device) : DeviceTest(device)
{
    private static Tensor Vector() => tf.constant(Enumerable.Range(0, 10).ToArray());
    private static Tensor Cube() => tf.reshape(tf.constant(Enumerable.Range(0, 24).ToArray()), new[] { 2, 3, 4 });

    /// <summary>The static shape must agree with the value's shape, and the value with the hand-worked expectation.</summary>
    private static void AssertSlice(Tensor t, int[] expected, int[] shape)
    {
        Assert.That(t.shape.Dims, Is.EqualTo(shape), "static shape");
        AssertValue(Eval(t), expected, shape);
    }

    [Test]
    public void BasicRangesOnAVector()
    {
        var v = Vector();
        AssertSlice(v["2:5"], [2, 3, 4], [3]);
        AssertSlice(v[":3"], [0, 1, 2], [3]);
        AssertSlice(v["7:"], [7, 8, 9], [3]);
        AssertSlice(v[":"], Enumerable.Range(0, 10).ToArray(), [10]);
        AssertSlice(v["1:8:3"], [1, 4, 7], [3]);
        AssertSlice(v["::4"], [0, 4, 8], [3]);
        AssertSlice(v["5:2"], [], [0]);
    }

    [Test]
    public void NegativeIndicesCountFromTheEnd()
    {
        var v = Vector();
        AssertSlice(v["-3:"], [7, 8, 9], [3]);
        AssertSlice(v[":-7"], [0, 1, 2], [3]);
        AssertSlice(v["-4:-1"], [6, 7, 8], [3]);
        AssertSlice(v["-1"], [9], []);
        AssertSlice(v[-10], [0], []);
    }

    [Test]
    public void NegativeStridesWalkBackwards()
    {
        var v = Vector();
        AssertSlice(v["::-1"], [9, 8, 7, 6, 5, 4, 3, 2, 1, 0], [10]);
        AssertSlice(v["::-3"], [9, 6, 3, 0], [4]);
        AssertSlice(v["7:2:-1"], [7, 6, 5, 4, 3], [5]);
        AssertSlice(v["-2::-2"], [8, 6, 4, 2, 0], [5]);
        AssertSlice(v[":5:-1"], [9, 8, 7, 6], [4]);
        AssertSlice(v["2:7:-1"], [], [0]);
        // -1 as an end is the last element, not "before the start": numpy's v[5:-1:-1] is empty.
        AssertSlice(v["5:-1:-1"], [], [0]);
    }

    [Test]
    public void OutOfBoundRangesClampAsInPython()
    {
        var v = Vector();
        AssertSlice(v["1:100"], [1, 2, 3, 4, 5, 6, 7, 8, 9], [9]);
        AssertSlice(v["-100:2"], [0, 1], [2]);
        AssertSlice(v["50:60"], [], [0]);
        AssertSlice(v["100:5:-2"], [9, 7], [2]);
        AssertSlice(v["3:-100:-1"], [3, 2, 1, 0], [4]);
        var m = tf.reshape(Vector(), new[] { 2, 5 });
        AssertSlice(m["1:100, 3:100"], [8, 9], [1, 2]);
    }

    [Test]
    public void AnOutOfRangeIndexIsAnError()
    {
        var v = Vector();
        Assert.Throws<InvalidArgumentException>(() => _ = v[10]);
        Assert.Throws<InvalidArgumentException>(() => _ = v["-11"]);
        Assert.Throws<InvalidArgumentException>(() => _ = Cube()["0, 0, 0, 0"], "more indices than dimensions");
    }

    [Test]
    public void AShrunkIndexWithANegativeStrideIsRefusedAsInTensorFlow()
    {
        // tf.strided_slice(v, [3], [2], [-1], shrink_axis_mask=1) raises "only stride 1 allowed on non-range indexing."
        var ex = Assert.Throws<InvalidArgumentException>(() => tf.strided_slice(Vector(), [3], [2], [-1], shrink_axis_mask: 1));
        Assert.That(ex!.Message, Does.Contain("only stride 1 allowed on non-range indexing"));
        var p = tf.placeholder(tf.int32);
        var fed = tf.strided_slice(p, [1], [0], [-1], shrink_axis_mask: 1);
        var run = Assert.Throws<InvalidArgumentException>(() => Eval(fed, new FeedDict { [p] = new[] { 1, 2, 3 } }));
        Assert.That(run!.Message, Does.Contain("only stride 1 allowed on non-range indexing"));
        AssertValue(Eval(tf.strided_slice(Vector(), [3], [4], [1], shrink_axis_mask: 1)), new[] { 3 }, []);
    }

    [Test]
    public void MultiDimensionalSlicesAndShrinkingIndices()
    {
        var x = Cube();
        // x[1] = the second 3x4 block.
        AssertSlice(x[1], Enumerable.Range(12, 12).ToArray(), [3, 4]);
        // x[1, 2] = row [20, 21, 22, 23]; x[0, 1, 3] = 7.
        AssertSlice(x[1, 2], [20, 21, 22, 23], [4]);
        AssertSlice(x[0, 1, 3], [7], []);
        // x[:, -1] = last row of each block: [[8..11], [20..23]].
        AssertSlice(x[":, -1"], [8, 9, 10, 11, 20, 21, 22, 23], [2, 4]);
        // x[:, :, 0] = first column: [[0, 4, 8], [12, 16, 20]].
        AssertSlice(x[":, :, 0"], [0, 4, 8, 12, 16, 20], [2, 3]);
        // x[1:, 0:2, 1:3] keeps all three axes.
        AssertSlice(x["1:, 0:2, 1:3"], [13, 14, 17, 18], [1, 2, 2]);
        // x[1, ::2, ::-1] = rows 0 and 2 of block 1, reversed.
        AssertSlice(x["1, ::2, ::-1"], [15, 14, 13, 12, 23, 22, 21, 20], [2, 4]);
        // Mixed: x[::-1, 1, 1:4:2] = blocks reversed, row 1, columns 1 and 3.
        AssertSlice(x["::-1, 1, 1:4:2"], [17, 19, 5, 7], [2, 2]);
    }

    [Test]
    public void EllipsisStandsForTheMissingDimensions()
    {
        var x = Cube();
        // x[..., 1] = column 1 everywhere: [[1, 5, 9], [13, 17, 21]].
        AssertSlice(x["..., 1"], [1, 5, 9, 13, 17, 21], [2, 3]);
        // x[1, ...] = x[1].
        AssertSlice(x["1, ..."], Enumerable.Range(12, 12).ToArray(), [3, 4]);
        // x[0, ..., -1] = last column of block 0: [3, 7, 11].
        AssertSlice(x["0, ..., -1"], [3, 7, 11], [3]);
        // x[..., ::-2] = columns 3 and 1.
        AssertSlice(x["..., ::-2"], [3, 1, 7, 5, 11, 9, 15, 13, 19, 17, 23, 21], [2, 3, 2]);
        // An ellipsis that covers nothing: x[0, 1, ..., 2] = x[0, 1, 2] = 6.
        AssertSlice(x["0, 1, ..., 2"], [6], []);
        Assert.Throws<InvalidArgumentException>(() => _ = x["..., 0, ..."]);
    }

    [Test]
    public void NewAxisInsertsADimensionOfOne()
    {
        var v = tf.constant(new[] { 1, 2, 3 });
        AssertSlice(v["tf.newaxis, :"], [1, 2, 3], [1, 3]);
        AssertSlice(v[":, tf.newaxis"], [1, 2, 3], [3, 1]);
        AssertSlice(v["..., tf.newaxis"], [1, 2, 3], [3, 1]);
        AssertSlice(v["None, ::-1, None"], [3, 2, 1], [1, 3, 1]);
        AssertSlice(v[$"{tf.newaxis}, 1"], [2], [1]);

        var x = Cube();
        AssertSlice(x["..., tf.newaxis"], Enumerable.Range(0, 24).ToArray(), [2, 3, 4, 1]);
        // x[1, newaxis, :, 0] = column 0 of block 1 with a new leading axis: [[12, 16, 20]].
        AssertSlice(x["1, tf.newaxis, :, 0"], [12, 16, 20], [1, 3]);
        // x[:, newaxis, 2] = row 2 of each block: shape [2, 1, 4].
        AssertSlice(x[":, newaxis, 2"], [8, 9, 10, 11, 20, 21, 22, 23], [2, 1, 4]);
    }

    [Test]
    public void SlicingAFedPlaceholderWithUnknownShape()
    {
        var p = tf.placeholder(tf.int32);
        var s = p["1:, ::-1"];
        var v = Eval(s, new FeedDict { [p] = new[,] { { 1, 2, 3 }, { 4, 5, 6 }, { 7, 8, 9 } } });
        AssertValue(v, new[] { 6, 5, 4, 9, 8, 7 }, [2, 3]);
    }

    [Test]
    public void SlicingAPlaceholderWithAnUnknownBatchDimension()
    {
        var p = tf.placeholder(tf.int32, shape: new[] { -1, 3 });
        var lastColumn = p[":, -1"];
        Assert.That(lastColumn.shape.Dims, Is.EqualTo(new[] { -1 }), "the batch stays unknown, the column index shrinks");
        var middle = p["1:, 1:2"];
        Assert.That(middle.shape.Dims, Is.EqualTo(new[] { -1, 1 }));
        var feed = new FeedDict { [p] = new[,] { { 1, 2, 3 }, { 4, 5, 6 }, { 7, 8, 9 }, { 10, 11, 12 } } };
        AssertValue(Eval(lastColumn, feed), new[] { 3, 6, 9, 12 }, [4]);
        AssertValue(Eval(middle, feed), new[] { 5, 8, 11 }, [3, 1]);
        AssertValue(Eval(p["-1"], feed), new[] { 10, 11, 12 }, [3]);
        Assert.Throws<InvalidArgumentException>(() => _ = p[":, 3"], "the known dimension of 3 has no index 3");
    }

    [Test]
    public void SlicingFloatAndBoolTensors()
    {
        var f = tf.constant(new[] { 0.5f, 1.5f, 2.5f, 3.5f });
        AssertValue(Eval(f["1::2"]), new[] { 1.5f, 3.5f }, [2]);
        var b = tf.constant(new[,] { { true, false }, { false, true } });
        AssertValue(Eval(b[":, 1"]), new[] { false, true }, [2]);
    }

    [Test]
    public void SlicingAStringTensor()
    {
        var s = tf.constant(new[,] { { "a", "b", "c" }, { "d", "e", "f" } });
        AssertValue(Eval(s[1]), new[] { "d", "e", "f" }, [3]);
        AssertValue(Eval(s[":, ::-1"]), new[] { "c", "b", "a", "f", "e", "d" }, [2, 3]);
        AssertValue(Eval(s["..., 1:"]), new[] { "b", "c", "e", "f" }, [2, 2]);
        Assert.That((string)Eval(s[0, 2]), Is.EqualTo("c"));
        Assert.That((string[])Eval(s[":, 0"]), Is.EqualTo(new[] { "a", "d" }));
        AssertValue(Eval(s["-1, tf.newaxis, 0:100:2"]), new[] { "d", "f" }, [1, 2]);
    }

    [Test]
    public void StringsThroughConcatGatherReshapeTranspose()
    {
        var a = tf.constant(new[] { "x", "y" });
        var b = tf.constant(new[] { "z" });
        AssertValue(Eval(tf.concat([a, b], 0)), new[] { "x", "y", "z" }, [3]);

        var words = tf.constant(new[] { "zero", "one", "two", "three" });
        AssertValue(Eval(tf.gather(words, new[] { 3, 1, 3 })), new[] { "three", "one", "three" }, [3]);

        var m = tf.reshape(tf.constant(new[] { "a", "b", "c", "d", "e", "f" }), new[] { 2, 3 });
        AssertValue(Eval(m), new[] { "a", "b", "c", "d", "e", "f" }, [2, 3]);
        AssertValue(Eval(tf.transpose(m)), new[] { "a", "d", "b", "e", "c", "f" }, [3, 2]);
        AssertValue(Eval(tf.concat([m, m], 1)), new[] { "a", "b", "c", "a", "b", "c", "d", "e", "f", "d", "e", "f" }, [2, 6]);
        AssertValue(Eval(tf.stack([a, a], axis: 1)), new[] { "x", "x", "y", "y" }, [2, 2]);
        AssertValue(Eval(tf.tile(b, [3])), new[] { "z", "z", "z" }, [3]);
        AssertValue(Eval(tf.pad(a, new[,] { { 1, 0 } })), new[] { "", "x", "y" }, [3]);
        AssertValue(Eval(tf.pad(a, new[,] { { 2, 1 } }, "SYMMETRIC")), new[] { "y", "x", "x", "y", "y" }, [5]);
    }

    [Test]
    public void ReverseAsTensorFlowsDocumentationShowsIt()
    {
        // tf.reverse's documented example: t of shape [1, 2, 3, 4] holding 0…23.
        var t = tf.reshape(tf.constant(Enumerable.Range(0, 24).ToArray()), new[] { 1, 2, 3, 4 });
        AssertValue(Eval(tf.reverse(t, [3])), new[] { 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8, 15, 14, 13, 12, 19, 18, 17, 16, 23, 22, 21, 20 }, [1, 2, 3, 4]);
        AssertValue(Eval(tf.reverse(t, [1])), new[] { 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11 }, [1, 2, 3, 4]);
        AssertValue(Eval(tf.reverse(t, [2])), new[] { 8, 9, 10, 11, 4, 5, 6, 7, 0, 1, 2, 3, 20, 21, 22, 23, 16, 17, 18, 19, 12, 13, 14, 15 }, [1, 2, 3, 4]);
        AssertValue(Eval(tf.reverse(t, [-1, 1])), new[] { 15, 14, 13, 12, 19, 18, 17, 16, 23, 22, 21, 20, 3, 2, 1, 0, 7, 6, 5, 4, 11, 10, 9, 8 }, [1, 2, 3, 4]);
        AssertValue(Eval(tf.reverse(t, [])), Enumerable.Range(0, 24).ToArray(), [1, 2, 3, 4]);
        // Float, with its gradient: reversing routes each gradient back to the element it came from.
        var v = tf.constant(new[] { 1f, 2f, 3f });
        AssertValue(Eval(tf.gradients(tf.reverse(v, [0]), v, grad_ys: tf.constant(new[] { 10f, 20f, 30f }))[0]!), new[] { 30f, 20f, 10f }, [3]);
        Assert.That(() => tf.reverse(t, [1, -3]), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("axis 1 specified more than once"));
        Assert.That(() => tf.reverse(t, [4]), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("axis 4 is out of range"));
    }

    [Test]
    public void MirrorPaddingAsTensorFlowsDocumentationShowsIt()
    {
        // tf.pad's documented example: t = [[1, 2, 3], [4, 5, 6]], paddings = [[1, 1], [2, 2]].
        var t = tf.constant(new float[,] { { 1, 2, 3 }, { 4, 5, 6 } });
        AssertValue(Eval(tf.pad(t, new[,] { { 1, 1 }, { 2, 2 } }, "REFLECT")),
            new float[] { 6, 5, 4, 5, 6, 5, 4, 3, 2, 1, 2, 3, 2, 1, 6, 5, 4, 5, 6, 5, 4, 3, 2, 1, 2, 3, 2, 1 }, [4, 7]);
        AssertValue(Eval(tf.pad(t, new[,] { { 1, 1 }, { 2, 2 } }, "SYMMETRIC")),
            new float[] { 2, 1, 1, 2, 3, 3, 2, 2, 1, 1, 2, 3, 3, 2, 5, 4, 4, 5, 6, 6, 5, 5, 4, 4, 5, 6, 6, 5 }, [4, 7]);
        // One side only, the mode in lower case, an int tensor.
        AssertValue(Eval(tf.pad(tf.constant(new[] { 1, 2, 3, 4 }), new[,] { { 0, 3 } }, "reflect")), new[] { 1, 2, 3, 4, 3, 2, 1 }, [7]);
    }

    [Test]
    public void MirrorPaddingsGradientAddsEachCopyBackOntoItsSource()
    {
        // [a, b, c] padded 2 and 2: REFLECT gives c b a b c b a, SYMMETRIC b a a b c c b; dy weights each position.
        var x = tf.constant(new[] { 1f, 2f, 3f });
        var dy = tf.constant(new[] { 1f, 10, 100, 1000, 10000, 100000, 1000000 });
        var reflect = tf.gradients(tf.pad(x, new[,] { { 2, 2 } }, "REFLECT"), x, grad_ys: dy)[0]!;
        AssertValue(Eval(reflect), new[] { 100f + 1000000, 10 + 1000 + 100000, 1 + 10000 }, [3]);
        var symmetric = tf.gradients(tf.pad(x, new[,] { { 2, 2 } }, "SYMMETRIC"), x, grad_ys: dy)[0]!;
        AssertValue(Eval(symmetric), new[] { 10f + 100, 1 + 1000 + 1000000, 10000 + 100000 }, [3]);
    }

    [Test]
    public void MirrorPaddingRefusesWhatTensorFlowRefuses()
    {
        var x = tf.placeholder(tf.float32, (-1, 3, 3, 1), name: "images");
        // The batch dimension may be unknown where it is not padded.
        var padded = tf.pad(x, new[,] { { 0, 0 }, { 2, 2 }, { 1, 1 }, { 0, 0 } }, "REFLECT");
        Assert.That(padded.shape.Dims, Is.EqualTo(new[] { -1, 7, 5, 1 }));
        Assert.That(() => tf.pad(x, new[,] { { 0, 0 }, { 3, 0 }, { 0, 0 }, { 0, 0 } }, "REFLECT"), Throws.InstanceOf<InvalidArgumentException>().With.Message.EqualTo(
            "paddings must be no greater than the dimension size minus 1 in REFLECT mode: dimension 1 of images:0 has size 3, paddings [3, 0]."));
        Assert.That(() => tf.pad(x, new[,] { { 0, 0 }, { 0, 4 }, { 0, 0 }, { 0, 0 } }, "SYMMETRIC"), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("size 3, paddings [0, 4]"));
        Assert.That(() => tf.pad(x, new[,] { { 1, 0 }, { 0, 0 }, { 0, 0 }, { 0, 0 } }, "REFLECT"), Throws.InstanceOf<UnimplementedException>().With.Message.Contains("dimension 0 of images:0"));
        Assert.That(() => tf.pad(x, new[,] { { 0, 0 } }, "REFLECT"), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("paddings must have shape [4, 2]"));
        Assert.That(() => tf.pad(x, new[,] { { 0, 0 }, { 1, 1 }, { 0, 0 }, { 0, 0 } }, "WRAP"), Throws.InstanceOf<InvalidArgumentException>().With.Message.EqualTo(
            "tf.pad mode must be CONSTANT, REFLECT or SYMMETRIC, got 'WRAP'."));
        Assert.That(() => tf.pad(x, new[,] { { 0, 0 }, { 1, 1 }, { 0, 0 }, { 0, 0 } }, "SYMMETRIC", constant_values: 1f), Throws.InstanceOf<InvalidArgumentException>());
    }
}

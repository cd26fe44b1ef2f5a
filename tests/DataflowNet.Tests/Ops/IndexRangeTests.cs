using DataflowNet;
using NUnit.Framework;

namespace DataflowNet.Tests.Ops;

/// <summary>
/// Indices out of range are the same error on every device: the GPU kernels keep their indices on the device, flag
/// a bad one there (writing nothing out of bounds) and throw the CPU kernel's message for the first bad position.
/// </summary>
public class IndexRangeTests(string device) : DeviceTest(device)
{
    /// <summary>Runs <paramref name="t"/>, checking in the GPU fixture that the op of <paramref name="type"/> ran on the GPU.</summary>
    private TensorValue Run(Tensor t, string type, FeedDict feeds)
    {
        var log = new StringWriter();
        var previous = Log.Writer;
        Log.Writer = log;
        try
        {
            using var sess = tf.Session(config: new ConfigProto { LogDevicePlacement = true });
            return sess.run(t, feeds);
        }
        finally
        {
            Log.Writer = previous;
            if (Device == "GPU")
                Assert.That(log.ToString(), Does.Match($@"\({type}\): \S*device:GPU:0"), $"{type} runs on the GPU");
        }
    }

    [TestCase(DataType.Int32)]
    [TestCase(DataType.Int64)]
    public void GatherRejectsTheFirstIndexOutOfRange(DataType indexType)
    {
        var p = tf.constant(Enumerable.Range(0, 12).Select(i => (float)i).ToArray(), shape: new TensorShape(4, 3));
        var idx = tf.placeholder(indexType);
        var g = tf.gather(p, idx);
        var e = Assert.Throws<InvalidArgumentException>(() => Run(g, "GatherV2", new FeedDict { [idx] = Indices(indexType, 1, 0, 9, -1) }))!;
        Assert.That(e.Message, Does.Contain("indices[2] = 9 is not in [0, 4)"));
        e = Assert.Throws<InvalidArgumentException>(() => Run(g, "GatherV2", new FeedDict { [idx] = Indices(indexType, 3, -2, 4) }))!;
        Assert.That(e.Message, Does.Contain("indices[1] = -2 is not in [0, 4)"));
        // The next run, with indices in range, is unaffected.
        AssertValue(Run(g, "GatherV2", new FeedDict { [idx] = Indices(indexType, 3, 0) }), new float[] { 9, 10, 11, 0, 1, 2 }, [2, 3]);
    }

    [Test]
    public void GatherAlongAnInnerAxisRejectsAnIndexOutOfRange()
    {
        var p = tf.constant(new float[24], shape: new TensorShape(2, 3, 4));
        var idx = tf.placeholder(tf.int32);
        var e = Assert.Throws<InvalidArgumentException>(() => Run(tf.gather(p, idx, axis: 1), "GatherV2", new FeedDict { [idx] = new[] { 0, 2, 3 } }))!;
        Assert.That(e.Message, Does.Contain("indices[2] = 3 is not in [0, 3)"));
    }

    [TestCase(DataType.Int32)]
    [TestCase(DataType.Int64)]
    public void UnsortedSegmentSumRejectsTheFirstIdOutOfRange(DataType idType)
    {
        var data = tf.constant(Enumerable.Range(1, 8).Select(i => (float)i).ToArray(), shape: new TensorShape(4, 2));
        var ids = tf.placeholder(idType);
        var sum = tf.Op("UnsortedSegmentSum", [data, ids, tf.constant(3)]);
        var e = Assert.Throws<InvalidArgumentException>(() => Run(sum, "UnsortedSegmentSum", new FeedDict { [ids] = Indices(idType, 0, 5, -1, 1) }))!;
        Assert.That(e.Message, Does.Contain("segment_ids[1] = 5 is out of range [0, 3)"));
        e = Assert.Throws<InvalidArgumentException>(() => Run(sum, "UnsortedSegmentSum", new FeedDict { [ids] = Indices(idType, 0, 1, 2, -1) }))!;
        Assert.That(e.Message, Does.Contain("segment_ids[3] = -1 is out of range [0, 3)"));
        // Rows 0 and 2 both add into segment 2; segment 1 gets none.
        AssertValue(Run(sum, "UnsortedSegmentSum", new FeedDict { [ids] = Indices(idType, 2, 0, 2, 0) }), new float[] { 10, 12, 0, 0, 6, 8 }, [3, 2]);
    }

    private static object Indices(DataType type, params int[] values) =>
        type == DataType.Int64 ? values.Select(v => (long)v).ToArray() : values;
}

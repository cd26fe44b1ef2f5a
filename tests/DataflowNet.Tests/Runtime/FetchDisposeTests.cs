using DataflowNet;
using NumSharp;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>
/// Disposing a fetched value lends its buffer back to the session: the next run of the same fetch writes into it
/// instead of allocating. A value not disposed stays the caller's and never changes.
/// </summary>
public class FetchDisposeTests : GraphTest
{
    private static (Tensor X, Tensor Y) Doubler()
    {
        var x = tf.placeholder(tf.float32, shape: (2, 2), name: "x");
        return (x, tf.multiply(x, 2f, name: "double"));
    }

    private static NDArray Matrix(float a, float b, float c, float d) => np.array(new[,] { { a, b }, { c, d } });

    [Test]
    public void DisposedFetchBufferIsReusedByTheNextRunWithTheNewValues()
    {
        var (x, y) = Doubler();
        using var sess = tf.Session();
        var first = sess.run(y, (x, Matrix(1, 2, 3, 4)));
        Assert.That(first.ToArray<float>(), Is.EqualTo(new[] { 2f, 4f, 6f, 8f }));
        var buffer = first.Root;
        first.Dispose();
        using var second = sess.run(y, (x, Matrix(5, 6, 7, 8)));
        Assert.That(second.Root, Is.SameAs(buffer), "the disposed buffer is written again");
        Assert.That(second, Is.Not.SameAs(first), "a new value is handed out, so the disposed one stays disposed");
        Assert.That(second.ToArray<float>(), Is.EqualTo(new[] { 10f, 12f, 14f, 16f }));
    }

    [Test]
    public void FetchKeptByTheCallerNeverChanges()
    {
        var (x, y) = Doubler();
        using var sess = tf.Session();
        var first = sess.run(y, (x, Matrix(1, 2, 3, 4)));
        var second = sess.run(y, (x, Matrix(5, 6, 7, 8)));
        Assert.That(second.Root, Is.Not.SameAs(first.Root));
        Assert.That(first.ToArray<float>(), Is.EqualTo(new[] { 2f, 4f, 6f, 8f }));
        Assert.That(second.ToArray<float>(), Is.EqualTo(new[] { 10f, 12f, 14f, 16f }));
    }

    [Test]
    public void ReadingADisposedValueThrowsObjectDisposedException()
    {
        var (x, y) = Doubler();
        using var sess = tf.Session();
        var v = sess.run(y, (x, Matrix(1, 2, 3, 4)));
        v.Dispose();
        v.Dispose(); // a second Dispose does nothing
        Assert.Throws<ObjectDisposedException>(() => v.ToArray<float>());
        Assert.Throws<ObjectDisposedException>(() => { using var nd = v.numpy(); });
        var ex = Assert.Throws<ObjectDisposedException>(() => sess.run(y, (x, v)));
        Assert.That(ex!.Message, Does.Contain("disposed"));
    }

    [Test]
    public void BufferFetchedTwiceInOneRunIsNotLentBackWhileTheOtherValueLives()
    {
        // y and its reshape share one buffer: disposing one must not let the next run overwrite the other.
        var (x, y) = Doubler();
        var flat = tf.reshape(y, new[] { 4 });
        using var sess = tf.Session();
        var (a, b) = sess.run((y, flat), (x, Matrix(1, 2, 3, 4)));
        Assert.That(b!.Root, Is.SameAs(a!.Root));
        a.Dispose();
        using var next = sess.run(y, (x, Matrix(5, 6, 7, 8)));
        Assert.That(next.Root, Is.Not.SameAs(b.Root));
        Assert.That(b.ToArray<float>(), Is.EqualTo(new[] { 2f, 4f, 6f, 8f }));
        Assert.That(next.ToArray<float>(), Is.EqualTo(new[] { 10f, 12f, 14f, 16f }));
    }

    [Test]
    public void VariableFetchIsACopyAndDisposingItLeavesTheVariableAlone()
    {
        var v = tf.Variable(tf.constant(new[] { 1f, 2f }));
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        sess.run(v).Dispose();
        Assert.That(sess.run(v).ToArray<float>(), Is.EqualTo(new[] { 1f, 2f }));
    }

    [Test]
    public void DisposingEachFetchMakesALargeFetchAllocateAlmostNothing()
    {
        // A 1 MB result: without Dispose every run allocates 1 MB; with it only the small value handed out.
        var a = tf.Variable(tf.ones((512, 512)));
        var c = tf.matmul(a, a);
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        for (int i = 0; i < 3; i++) sess.run(c).Dispose();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) sess.run(c).Dispose();
        long perRun = (GC.GetAllocatedBytesForCurrentThread() - before) / 10;
        Assert.That(perRun, Is.LessThan(1024), "bytes allocated per run");
        using var last = sess.run(c);
        Assert.That(last.ToArray<float>().Distinct(), Is.EqualTo(new[] { 512f }));
    }

    [Test]
    public void DisposingAFetchedConstantOrViewLeavesTheGraphAndTheSessionWorking()
    {
        // A constant's value belongs to the graph, and a reshape view of a fed or already-fetched buffer to the
        // frame's cache: the fetch hands out a handle of its own, so disposing it breaks neither.
        var c = tf.constant(new[] { 1f, 2f });
        var x = tf.placeholder(tf.float32, shape: (2, 2));
        var y = x * 2f;
        var flat = tf.reshape(y, new[] { 4 });
        var transposed = tf.reshape(tf.transpose(x), new[] { 4 });
        using var sess = tf.Session();
        sess.run(c).Dispose();
        AssertValue(sess.run(c + 1f), new[] { 2f, 3f }, [2]);
        AssertValue(sess.run(c), new[] { 1f, 2f }, [2]);
        var m = Matrix(1, 2, 3, 4);
        for (int i = 0; i < 2; i++)
        {
            var (a, b) = sess.run((y, flat), (x, m));
            b!.Dispose();
            AssertValue(a!, new[] { 2f, 4f, 6f, 8f }, [2, 2]);
            using var t = sess.run(transposed, (x, m));
            AssertValue(t, new[] { 1f, 3f, 2f, 4f }, [4]);
        }
        AssertValue(sess.run(flat, (x, m)), new[] { 2f, 4f, 6f, 8f }, [4]);
    }

    [Test]
    public void AnNDArrayOfAFetchIsACopyTheUserOwns()
    {
        var c = tf.constant(new[] { 1f, 2f });
        using var sess = tf.Session();
        NumSharp.NDArray a = sess.run(c);
        a[0] = 99f;
        AssertValue(sess.run(c), new[] { 1f, 2f }, [2]);
        // Disposing the fetched value lends its buffer back; the NDArray taken before keeps its values.
        var x = tf.placeholder(tf.float32, shape: new[] { 2 });
        var y = x * 2f;
        NumSharp.NDArray kept;
        using (var v = sess.run(y, (x, new[] { 1f, 2f }))) kept = v;
        sess.run(y, (x, new[] { 5f, 6f })).Dispose();
        Assert.That(kept.ToArray<float>(), Is.EqualTo(new[] { 2f, 4f }));
    }
}

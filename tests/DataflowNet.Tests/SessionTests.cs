using DataflowNet;
using NumSharp;
using NUnit.Framework;

namespace DataflowNet.Tests;

public class SessionTests : GraphTest
{
    [Test]
    public void EightThreadsRunOneSessionAtOnce()
    {
        var x = tf.placeholder(tf.float32, shape: (-1, 4));
        var w = tf.Variable(tf.constant(new float[,] { { 1, 0 }, { 0, 1 }, { 1, 1 }, { 2, -1 } }));
        var y = tf.reduce_sum(tf.matmul(x, w), 1);
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        var failures = new System.Collections.Concurrent.ConcurrentBag<string>();
        var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            for (int i = 0; i < 200; i++)
            {
                float a = t, b = i;
                // Row [a, b, 1, 0] times w gives [a + 1, b + 1]; the row sum is a + b + 2.
                var result = sess.run(y, (x, new float[,] { { a, b, 1, 0 } })).ToArray<float>();
                if (result.Length != 1 || result[0] != a + b + 2) failures.Add($"thread {t} step {i}: {string.Join(",", result)}");
            }
        })).ToList();
        threads.ForEach(th => th.Start());
        threads.ForEach(th => th.Join());
        Assert.That(failures, Is.Empty);
    }

    [Test]
    public void ConcurrentAssignAddsWithDistinctVariablesAllLand()
    {
        var counters = Enumerable.Range(0, 8).Select(i => tf.Variable(0, name: $"c{i}")).ToArray();
        var incs = counters.Select(c => c.assign_add(1)).ToArray();
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        Parallel.For(0, 8, t => { for (int i = 0; i < 100; i++) sess.run(incs[t]); });
        foreach (var c in counters) Assert.That((int)sess.run(c), Is.EqualTo(100));
    }

    [Test]
    public void TwoSessionsOnOneGraphHaveSeparateValues()
    {
        var v = tf.Variable(1);
        var inc = v.assign_add(1);
        using var s1 = tf.Session();
        using var s2 = tf.Session();
        s1.run(v.initializer);
        s2.run(v.initializer);
        s1.run(inc);
        s1.run(inc);
        Assert.That((int)s1.run(v), Is.EqualTo(3));
        Assert.That((int)s2.run(v), Is.EqualTo(1));
    }

    [Test]
    public void OneRunReadsVariablesBeforeUpdatingThem()
    {
        // Both updates read the old values of a and b: a swap, as a training step computes all gradients first.
        var a = tf.Variable(1f);
        var b = tf.Variable(2f);
        var assignA = a.assign(b.value());
        var assignB = b.assign(a.value());
        using var sess = tf.Session();
        sess.run(tf.global_variables_initializer());
        sess.run(new IFetchable[] { assignA, assignB });
        Assert.That((float)sess.run(a), Is.EqualTo(2f));
        Assert.That((float)sess.run(b), Is.EqualTo(1f));
    }

    [Test]
    public void FetchesOfSeveralKinds()
    {
        var a = tf.constant(2);
        var b = tf.constant(new[] { 1.5f, 2.5f });
        using var sess = tf.Session();
        var list = sess.run(new[] { a, b });
        Assert.That(list, Has.Length.EqualTo(2));
        Assert.That((int)list[0]!, Is.EqualTo(2));
        var (x, y, z) = sess.run((a, b, tf.no_op()));
        Assert.That((int)x!, Is.EqualTo(2));
        Assert.That((float[])y!, Is.EqualTo(new[] { 1.5f, 2.5f }));
        Assert.That(z, Is.Null);
    }

    [Test]
    public void FetchedValueConvertsToNDArrayAndPrintsLikeNumpy()
    {
        var m = tf.constant(new float[,] { { 1, 2 }, { 3, 4 } });
        using var sess = tf.Session();
        var value = sess.run(m);
        Assert.That(value.ToString(), Is.EqualTo("[[1. 2.]\n [3. 4.]]"));
        using NDArray nd = value;
        Assert.That(nd.shape, Is.EqualTo(new long[] { 2, 2 }));
        Assert.That(nd.GetSingle(1, 0), Is.EqualTo(3f));
        Assert.That(Eval(tf.constant(new[] { "a", "b" })).ToString(), Is.EqualTo("['a' 'b']"));
        Assert.That((string[])Eval(tf.constant(new[] { "a", "b" })), Is.EqualTo(new[] { "a", "b" }));
    }

    [Test]
    public void FeedsAcceptJaggedRectangularNDArrayAndScalars()
    {
        var x = tf.placeholder(tf.float32);
        var doubled = x * 2;
        using var sess = tf.Session();
        AssertValue(sess.run(doubled, (x, new[] { new[] { 1f, 2f }, new[] { 3f, 4f } })), new[] { 2f, 4f, 6f, 8f }, [2, 2]);
        AssertValue(sess.run(doubled, (x, new float[,,] { { { 1 }, { 2 } } })), new[] { 2f, 4f }, [1, 2, 1]);
        using var nd = np.arange(6).reshape(2, 3);
        AssertValue(sess.run(doubled, (x, nd)), new[] { 0f, 2f, 4f, 6f, 8f, 10f }, [2, 3]);
        Assert.That((float)sess.run(doubled, (x, 1.25)), Is.EqualTo(2.5f));
    }

    [Test]
    public void FeedingAnIntermediateTensorReplacesIt()
    {
        var a = tf.placeholder(tf.float32);
        var b = a * 10;
        var c = b + 1;
        using var sess = tf.Session();
        Assert.That((float)sess.run(c, (b, 5f)), Is.EqualTo(6f), "a is not needed when b is fed");
    }

    [Test]
    public void InteractiveSessionIsTheDefaultForEvalAndRun()
    {
        var v = tf.Variable(3);
        using (var sess = tf.InteractiveSession())
        {
            v.initializer.run();
            Assert.That((int)(v * 2).eval(), Is.EqualTo(6));
        }
        Assert.Throws<FailedPreconditionException>(() => (v * 2).eval());
    }

    [Test]
    public void PlaceholderWithDefaultUsesDefaultUnlessFed()
    {
        var p = tf.placeholder_with_default(tf.constant(new[] { 1f, 2f }), shape: new[] { -1 });
        using var sess = tf.Session();
        AssertValue(sess.run(p * 1), new[] { 1f, 2f }, [2]);
        AssertValue(sess.run(p * 1, (p, new[] { 5f, 6f, 7f })), new[] { 5f, 6f, 7f }, [3]);
    }

    [Test]
    public void PrintShowsValuesAsPythonWould()
    {
        var writer = new StringWriter();
        var old = Console.Out;
        Console.SetOut(writer);
        try
        {
            tf.print("loss:", Eval(tf.constant(0.5f)), true, new[] { 1, 2 });
        }
        finally { Console.SetOut(old); }
        Assert.That(writer.ToString().TrimEnd(), Is.EqualTo("loss: 0.5 True [1 2]"));
    }
}

using DataflowNet;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>Comparisons to bool, logical ops, tf.where and tf.cast.</summary>
public class ComparisonLogicCastTests(string device) : DeviceTest(device)
{
    // ---------- comparisons ----------
    [Test]
    public void ComparisonsOfFloat32GiveBool()
    {
        var x = tf.constant(new[] { 1f, 2f, 3f, -0.5f });
        var y = tf.constant(new[] { 3f, 2f, 1f, -0.25f });
        AssertValue(Eval(tf.equal(x, y)), new[] { false, true, false, false }, [4]);
        AssertValue(Eval(tf.not_equal(x, y)), new[] { true, false, true, true }, [4]);
        AssertValue(Eval(tf.less(x, y)), new[] { true, false, false, true }, [4]);
        AssertValue(Eval(tf.less_equal(x, y)), new[] { true, true, false, true }, [4]);
        AssertValue(Eval(tf.greater(x, y)), new[] { false, false, true, false }, [4]);
        AssertValue(Eval(tf.greater_equal(x, y)), new[] { false, true, true, false }, [4]);
    }

    [Test]
    public void ComparisonsOfIntegersBroadcastAgainstScalar()
    {
        var x = tf.constant(new[,] { { 1, 5 }, { 3, -2 } });
        AssertValue(Eval(tf.less(x, 3)), new[] { true, false, false, true }, [2, 2]);
        AssertValue(Eval(tf.greater_equal(3, x)), new[] { true, false, true, true }, [2, 2]);
        AssertValue(Eval(tf.equal(x, tf.constant(new[] { 1, -2 }))), new[] { true, false, false, true }, [2, 2]);
        var l = tf.constant(new[] { 5_000_000_000L, 1L });
        AssertValue(Eval(tf.greater(l, 4_999_999_999L)), new[] { true, false }, [2]);
        AssertValue(Eval(tf.less_equal(tf.constant(new byte[] { 0, 200, 255 }), (byte)200)), new[] { true, true, false }, [3]);
    }

    [Test]
    public void ComparisonOperatorsOnTensors()
    {
        var x = tf.constant(new[] { 1, 2, 3 });
        var d = tf.constant(new[] { 0.5, 2.0, 7.25 }, dtype: tf.float64);
        var cases = new (Tensor T, bool[] Expected)[]
        {
            (x < 2, [true, false, false]),
            (x > 2, [false, false, true]),
            (x <= 2, [true, true, false]),
            (x >= 2, [false, true, true]),
            (x < tf.constant(new[] { 2, 2, 4 }), [true, false, true]),
            (d < 2.0, [true, false, false]),
            (d >= 2.0, [false, true, true]),
        };
        foreach (var (t, expected) in cases)
        {
            Assert.That(t.dtype, Is.EqualTo(tf.@bool), t.ToString());
            AssertValue(Eval(t), expected, [3]);
        }
    }

    [Test]
    public void NaNIsUnequalToEverythingIncludingItself()
    {
        var x = tf.constant(new[] { float.NaN, float.NaN, 1f });
        var y = tf.constant(new[] { float.NaN, 1f, 1f });
        AssertValue(Eval(tf.equal(x, y)), new[] { false, false, true }, [3]);
        AssertValue(Eval(tf.not_equal(x, y)), new[] { true, true, false }, [3]);
        AssertValue(Eval(tf.less_equal(x, y)), new[] { false, false, true }, [3]);
        AssertValue(Eval(tf.greater_equal(x, y)), new[] { false, false, true }, [3]);
    }

    [Test]
    public void EqualAndNotEqualOnStrings()
    {
        var x = tf.constant(new[] { "a", "b", "c", "" });
        var y = tf.constant(new[] { "a", "x", "c", "" });
        AssertValue(Eval(tf.equal(x, y)), new[] { true, false, true, true }, [4]);
        AssertValue(Eval(tf.not_equal(x, y)), new[] { false, true, false, false }, [4]);
        AssertValue(Eval(tf.equal(x, "b")), new[] { false, true, false, false }, [4]);
        // Case matters, as bytes compare in TensorFlow.
        AssertValue(Eval(tf.equal(tf.constant("Hello"), tf.constant("hello"))), new[] { false }, []);
    }

    [Test]
    public void EqualOnBools()
    {
        var x = tf.constant(new[] { true, true, false, false });
        var y = tf.constant(new[] { true, false, true, false });
        AssertValue(Eval(tf.equal(x, y)), new[] { true, false, false, true }, [4]);
        AssertValue(Eval(tf.not_equal(x, y)), new[] { false, true, true, false }, [4]);
    }

    [Test]
    public void OrderingStringsFailsWhenBuilding()
    {
        var s = tf.constant(new[] { "a" });
        Assert.That(() => tf.less(s, s), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("string"));
    }

    // ---------- logic ----------
    [Test]
    public void LogicalAndOrNotTruthTables()
    {
        var x = tf.constant(new[] { true, true, false, false });
        var y = tf.constant(new[] { true, false, true, false });
        AssertValue(Eval(tf.logical_and(x, y)), new[] { true, false, false, false }, [4]);
        AssertValue(Eval(tf.logical_or(x, y)), new[] { true, true, true, false }, [4]);
        AssertValue(Eval(tf.logical_not(x)), new[] { false, false, true, true }, [4]);
        AssertValue(Eval(x & y), new[] { true, false, false, false }, [4]);
        AssertValue(Eval(x | y), new[] { true, true, true, false }, [4]);
        AssertValue(Eval(!y), new[] { false, true, false, true }, [4]);
    }

    [Test]
    public void LogicalOpsBroadcast()
    {
        var col = tf.constant(new[,] { { true }, { false } });
        var row = tf.constant(new[,] { { true, false, true } });
        AssertValue(Eval(tf.logical_and(col, row)), new[] { true, false, true, false, false, false }, [2, 3]);
        AssertValue(Eval(tf.logical_or(col, row)), new[] { true, true, true, true, false, true }, [2, 3]);
        AssertValue(Eval(tf.logical_and(row, true)), new[] { true, false, true }, [1, 3]);
    }

    [Test]
    public void LogicalOpsOnNumbersFailWhenBuilding()
    {
        var x = tf.constant(new[] { 1, 0 });
        Assert.That(() => tf.logical_and(x, x), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("int32"));
        Assert.That(() => tf.logical_not(x), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("int32"));
    }

    [Test]
    public void ComparisonsCombineWithLogic()
    {
        var x = tf.constant(new[] { -2f, 0.5f, 3f, 10f });
        var inRange = tf.logical_and(x >= 0, x < 5);
        AssertValue(Eval(inRange), new[] { false, true, true, false }, [4]);
    }

    // ---------- where ----------
    [Test]
    public void WherePicksElementwise()
    {
        var cond = tf.constant(new[] { true, false, true, false });
        var x = tf.constant(new[] { 1f, 2f, 3f, 4f });
        var y = tf.constant(new[] { 10f, 20f, 30f, 40f });
        AssertValue(Eval(tf.where(cond, x, y)), new[] { 1f, 20f, 3f, 40f }, [4]);
        AssertValue(Eval(tf.where(x > 2.5, x, 0f)), new[] { 0f, 0f, 3f, 4f }, [4]);
    }

    [Test]
    public void WhereBroadcastsConditionAndBranches()
    {
        var cond = tf.constant(new[,] { { true }, { false }, { true } });          // (3,1)
        var x = tf.constant(new[,] { { 1, 2, 3, 4 } });                            // (1,4)
        var y = tf.constant(-1);                                                   // scalar
        var r = tf.where(cond, x, y);
        Assert.That(r.shape.Dims, Is.EqualTo(new[] { 3, 4 }));
        AssertValue(Eval(r), new[] { 1, 2, 3, 4, -1, -1, -1, -1, 1, 2, 3, 4 }, [3, 4]);

        // A scalar condition picks a whole branch; a row condition picks columns of a (2,3) branch.
        AssertValue(Eval(tf.where(tf.constant(false), tf.constant(new[] { 1.5, 2.5 }, dtype: tf.float64), tf.constant(new[] { 7.0, 8.0 }, dtype: tf.float64))),
            new[] { 7.0, 8.0 }, [2]);
        var rows = tf.where(tf.constant(new[] { false, true, true }), tf.constant(new[,] { { 1, 2, 3 }, { 4, 5, 6 } }), tf.constant(new[] { 0, 0, 0 }));
        AssertValue(Eval(rows), new[] { 0, 2, 3, 0, 5, 6 }, [2, 3]);
    }

    [Test]
    public void WhereWithAVectorConditionPicksRowsAsTensorFlow1()
    {
        // TF 1's tf.where is Select: a condition of x's first dimension picks whole rows (here N = M = 2, where a
        // broadcasting where would pick columns instead).
        var cond = tf.constant(new[] { true, false });
        var x = tf.constant(new[,] { { 1, 2 }, { 3, 4 } });
        var y = tf.constant(new[,] { { 10, 20 }, { 30, 40 } });
        var r = tf.where(cond, x, y);
        Assert.That(r.op.type, Is.EqualTo("Select"));
        AssertValue(Eval(r), new[] { 1, 2, 30, 40 }, [2, 2]);
        AssertValue(Eval(tf.where_v2(cond, x, y)), new[] { 1, 20, 3, 40 }, [2, 2]);
        // Rank 3, fed: rows of [3, 2, 2] chosen by a [3] condition.
        var c3 = tf.placeholder(tf.@bool, shape: new TensorShape(-1));
        var x3 = tf.placeholder(tf.float32, shape: new TensorShape(-1, 2, 2));
        var picked = tf.where(c3, x3, tf.zeros_like(x3));
        var x3Value = new float[3, 2, 2] { { { 1, 2 }, { 3, 4 } }, { { 5, 6 }, { 7, 8 } }, { { 9, 10 }, { 11, 12 } } };
        var value = Eval(picked, new FeedDict { [c3] = new[] { false, true, false }, [x3] = x3Value });
        AssertValue(value, new[] { 0f, 0, 0, 0, 5, 6, 7, 8, 0, 0, 0, 0 }, [3, 2, 2]);
        // A condition that fits neither way is TensorFlow's error, at build time or when fed.
        Assert.Throws<InvalidArgumentException>(() => tf.where(tf.constant(new[] { true, false, true }), x, y));
        Assert.Throws<InvalidArgumentException>(() => tf.Op("Select", [cond, x, tf.constant(new[,] { { 1, 2, 3 } })]), "t and e differ");
        var run = Assert.Throws<InvalidArgumentException>(() => Eval(picked, new FeedDict { [c3] = new[] { true }, [x3] = new float[2, 2, 2] }));
        Assert.That(run!.Message, Does.Contain("condition must be a scalar, a vector of size 2"));
    }

    [Test]
    public void AddingStringsConcatenatesThemAsTensorFlow1sAdd()
    {
        var hello = tf.constant("Hello, ");
        var names = tf.placeholder(tf.@string, shape: new TensorShape(2));
        var greeting = hello + names + "!";
        Assert.That(greeting.op.type, Is.EqualTo("Add"));
        var value = Eval(greeting, new FeedDict { [names] = new[] { "world", "TensorFlow" } });
        Assert.That((string[])value, Is.EqualTo(new[] { "Hello, world!", "Hello, TensorFlow!" }));
        Assert.That(value.shape, Is.EqualTo(new[] { 2 }));
        Assert.That(tf.add(tf.constant(1), tf.constant(2)).op.type, Is.EqualTo("AddV2"), "numbers still use AddV2");
    }

    [Test]
    public void WhereOnStrings()
    {
        var r = tf.where(tf.constant(new[] { true, false }), tf.constant(new[] { "yes", "yes" }), tf.constant(new[] { "no", "no" }));
        Assert.That((string[])Eval(r), Is.EqualTo(new[] { "yes", "no" }));
    }

    [Test]
    public void WhereRejectsMismatchedBranchesAndNonBoolCondition()
    {
        var cond = tf.constant(new[] { true, false });
        Assert.That(() => tf.where(cond, tf.constant(new[] { 1f, 2f }), tf.constant(new[] { 1, 2 })),
            Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("int32").And.Message.Contains("float32"));
        Assert.That(() => tf.where(cond, tf.constant(new[] { 1f, 2f, 3f }), tf.constant(new[] { 1f, 2f, 3f })), Throws.InstanceOf<InvalidArgumentException>());
        Assert.That(() => tf.where(tf.constant(new[] { 1, 0 }), tf.constant(new[] { 1f, 2f }), tf.constant(new[] { 3f, 4f })),
            Throws.InstanceOf<InvalidArgumentException>());
    }

    // ---------- cast ----------
    [Test]
    public void CastFloatToIntTruncatesTowardZero()
    {
        var x = tf.constant(new[] { -1.7f, -0.5f, 0f, 0.5f, 1.7f, 2.9f, -2.9999f });
        var i = tf.cast(x, tf.int32);
        Assert.That(i.dtype, Is.EqualTo(tf.int32));
        AssertValue(Eval(i), new[] { -1, 0, 0, 0, 1, 2, -2 }, [7]);
        AssertValue(Eval(tf.cast(x, tf.int64)), new[] { -1L, 0L, 0L, 0L, 1L, 2L, -2L }, [7]);
        AssertValue(Eval(tf.cast(tf.constant(new[] { -3.99, 1e10 }, dtype: tf.float64), tf.int64)), new[] { -3L, 10_000_000_000L }, [2]);
        AssertValue(Eval(tf.cast(tf.constant(new[] { 3.9f, 200.2f }), tf.uint8)), new byte[] { 3, 200 }, [2]);
    }

    [Test]
    public void CastNumbersToBoolTestsNonZero()
    {
        AssertValue(Eval(tf.cast(tf.constant(new[] { 0f, -0.1f, 2f, -0f }), tf.@bool)), new[] { false, true, true, false }, [4]);
        AssertValue(Eval(tf.cast(tf.constant(new[] { 0, 3, -2 }), tf.@bool)), new[] { false, true, true }, [3]);
        AssertValue(Eval(tf.cast(tf.constant(new[] { 0L, 1L << 40 }), tf.@bool)), new[] { false, true }, [2]);
        AssertValue(Eval(tf.cast(tf.constant(new byte[] { 0, 255 }), tf.@bool)), new[] { false, true }, [2]);
    }

    [Test]
    public void CastBoolToNumbersGivesZeroAndOne()
    {
        var b = tf.constant(new[] { true, false, true });
        AssertValue(Eval(tf.cast(b, tf.float32)), new[] { 1f, 0f, 1f }, [3]);
        AssertValue(Eval(tf.cast(b, tf.float64)), new[] { 1.0, 0.0, 1.0 }, [3]);
        AssertValue(Eval(tf.cast(b, tf.int32)), new[] { 1, 0, 1 }, [3]);
        AssertValue(Eval(tf.cast(b, tf.int64)), new[] { 1L, 0L, 1L }, [3]);
        AssertValue(Eval(tf.cast(b, tf.uint8)), new byte[] { 1, 0, 1 }, [3]);
    }

    [Test]
    public void CastBetweenFloatAndIntWidths()
    {
        AssertValue(Eval(tf.cast(tf.constant(new[] { -3, 16777217 }), tf.float32)), new[] { -3f, 16777216f }, [2]);
        AssertValue(Eval(tf.cast(tf.constant(new[] { -3, 16777217 }), tf.float64)), new[] { -3.0, 16777217.0 }, [2]);
        AssertValue(Eval(tf.cast(tf.constant(new[] { 0.1 }, dtype: tf.float64), tf.float32)), new[] { 0.1f }, [1]);
        AssertValue(Eval(tf.cast(tf.constant(new[] { 0.1f }), tf.float64)), new[] { (double)0.1f }, [1]);
        AssertValue(Eval(tf.cast(tf.constant(new[] { 1L << 40, -7L }), tf.float64)), new[] { 1099511627776.0, -7.0 }, [2]);
        AssertValue(Eval(tf.cast(tf.constant(new byte[] { 255 }), tf.int32)), new[] { 255 }, [1]);
    }

    [Test]
    public void CastToSameDtypeAddsNoOp()
    {
        var x = tf.constant(new[] { 1f });
        Assert.That(tf.cast(x, tf.float32), Is.SameAs(x));
    }

    [Test]
    public void CastBetweenStringAndNumberFailsWhenBuilding()
    {
        Assert.That(() => tf.cast(tf.constant("1"), tf.int32), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("string"));
        Assert.That(() => tf.cast(tf.constant(1), tf.@string), Throws.InstanceOf<InvalidArgumentException>().With.Message.Contains("string"));
    }
}

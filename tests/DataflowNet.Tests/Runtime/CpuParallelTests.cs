using DataflowNet.Kernels.Cpu;
using NUnit.Framework;

namespace DataflowNet.Tests;

/// <summary>
/// The worker pool the CPU kernels split their work over: every index runs exactly once, a part that splits its work
/// again runs it inline, and a part that throws fails the call only after every other part has finished.
/// </summary>
[NonParallelizable]
public class CpuParallelTests
{
    /// <summary>Counts the runs of each index; optionally splits each index again, or throws in the first part.</summary>
    private sealed class Counting(int count, bool nested, bool throwInFirstPart) : IRangeWork
    {
        public readonly int[] Runs = new int[count];
        public readonly int[] Inner = new int[count * 8];
        public bool BusyInside;
        private bool _thrown;

        public void Run(int start, int end)
        {
            BusyInside |= CpuParallel.Busy;
            if (throwInFirstPart)
            {
                if (start == 0)
                {
                    Volatile.Write(ref _thrown, true);
                    throw new InvalidOperationException("part 0 failed");
                }
                // The other parts do their work only well after part 0 has thrown.
                SpinWait.SpinUntil(() => Volatile.Read(ref _thrown), TimeSpan.FromSeconds(10));
                Thread.Sleep(50);
            }
            for (int i = start; i < end; i++)
            {
                Interlocked.Increment(ref Runs[i]);
                if (!nested) continue;
                var inner = new Inner8(Inner, i);
                CpuParallel.For(8, inner);
            }
        }
    }

    private sealed class Inner8(int[] counts, int outer) : IRangeWork
    {
        public void Run(int start, int end)
        {
            for (int i = start; i < end; i++) Interlocked.Increment(ref counts[outer * 8 + i]);
        }
    }

    private sealed class Throwing : IRangeWork
    {
        public void Run(int start, int end) => throw new InvalidOperationException($"part {start} failed");
    }

    [Test]
    public void WhenEveryPartThrowsTheNextJobStartsClean()
    {
        if (CpuParallel.Degree < 2) Assert.Ignore("needs two cores");
        Assert.Catch(() => CpuParallel.For(2, new Throwing()));
        // The worker's error must not be left behind for the next, good, job to report.
        var work = new Counting(100, nested: false, throwInFirstPart: false);
        Assert.DoesNotThrow(() => CpuParallel.For(100, work));
        Assert.That(work.Runs, Is.All.EqualTo(1));
    }

    [Test]
    public void EveryIndexRunsOnce()
    {
        var work = new Counting(1000, nested: false, throwInFirstPart: false);
        CpuParallel.For(1000, work);
        Assert.That(work.Runs, Is.All.EqualTo(1));
        Assert.That(CpuParallel.Busy, Is.False);
    }

    [Test]
    public void APartThatSplitsAgainRunsItsWorkInline()
    {
        var work = new Counting(64, nested: true, throwInFirstPart: false);
        CpuParallel.For(64, work);
        Assert.That(work.Runs, Is.All.EqualTo(1));
        Assert.That(work.Inner, Is.All.EqualTo(1), "every inner index of every outer index ran exactly once");
        if (CpuParallel.Degree > 1) Assert.That(work.BusyInside, Is.True, "inside a part the workers are taken");
    }

    [Test]
    public void APartThatThrowsFailsTheCallAfterTheOtherPartsFinish()
    {
        if (CpuParallel.Degree < 2) Assert.Ignore("one core: there are no other parts");
        var work = new Counting(CpuParallel.Degree * 100, nested: false, throwInFirstPart: true);
        var error = Assert.Throws<InvalidOperationException>(() => CpuParallel.For(work.Runs.Length, work));
        Assert.That(error!.Message, Is.EqualTo("part 0 failed"));
        // Part 0 (indices below Runs.Length / Degree) threw before running any; every other part ran to the end before For returned.
        int firstPart = work.Runs.Length / CpuParallel.Degree;
        Assert.That(work.Runs[..firstPart], Is.All.EqualTo(0));
        Assert.That(work.Runs[firstPart..], Is.All.EqualTo(1));
        Assert.That(CpuParallel.Busy, Is.False, "the workers are free again");
        var next = new Counting(100, nested: false, throwInFirstPart: false);
        CpuParallel.For(100, next);
        Assert.That(next.Runs, Is.All.EqualTo(1));
    }
}

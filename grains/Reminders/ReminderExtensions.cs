namespace Parley.Grains.Reminders;

internal static class ReminderExtensions
{
    /// <summary>Unregisters the grain's reminder <paramref name="name"/> if it has one (a finished job needs no more
    /// wake-ups).</summary>
    public static async Task StopReminderAsync(this IGrainBase grain, string name)
    {
        if (await grain.GetReminder(name) is { } reminder)
        {
            await grain.UnregisterReminder(reminder);
        }
    }
}

namespace Parley.Documents.Chunking;

/// <param name="Index">Position in the document, from 0.</param>
/// <param name="Text">The chunk's text: whole paragraphs and sentences joined as they were separated.</param>
/// <param name="Tokens">The exact token count of <paramref name="Text"/> in the chunker's encoding.</param>
/// <param name="Start">Char offset in the normalised document (line ends as <c>\n</c>) where the chunk's first new
/// (not overlapping) text starts.</param>
/// <param name="End">Char offset just past the chunk's last text.</param>
/// <param name="OverlapTokens">Tokens at the head of the chunk repeated from the end of the previous one.</param>
public sealed record TextChunk(int Index, string Text, int Tokens, int Start, int End, int OverlapTokens);

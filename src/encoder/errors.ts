// Typed failures so the HTTP layer can map them to status codes without parsing messages.

/** Input is not a decodable raster image (not an image, corrupt, truncated). Maps to 415. */
export class UnsupportedImageError extends Error {
  override name = 'UnsupportedImageError';
}

/** Input decodes but exceeds the pixel budget (e.g. a decompression bomb). Maps to 413. */
export class ImageTooLargeError extends Error {
  override name = 'ImageTooLargeError';
}

/** The encoder model file is missing, undownloadable or fails its checksum. */
export class EncoderFileError extends Error {
  override name = 'EncoderFileError';
}

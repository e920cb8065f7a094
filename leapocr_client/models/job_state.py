from enum import StrEnum


class JobState(StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    PARTIALLY_DONE = "partially_done"
    PENDING = "pending"
    PROCESSING = "processing"
    UPLOADING = "uploading"

    def __str__(self) -> str:
        return str(self.value)

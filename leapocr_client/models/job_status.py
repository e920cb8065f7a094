from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.job_state import JobState
from ..types import UNSET, Unset

T = TypeVar("T", bound="JobStatus")


@_attrs_define
class JobStatus:
    """
    Attributes:
        status (JobState | str): The job's state; values not listed in JobState are kept.
        job_id (str | Unset): The job's id, in the documented shape.
        id (str | Unset): The job's id, in the shape the live service sends.
        progress (float | None | Unset): Documented as a fraction from 0 to 1; absent from the live service.
        total_pages (int | None | Unset):
        processed_pages (int | None | Unset):
        error_message (None | str | Unset): Set when the job failed.
        created_at (None | str | Unset): An RFC 3339 timestamp.
        updated_at (None | str | Unset): An RFC 3339 timestamp.
        file_name (None | str | Unset):
        processing_time (float | None | Unset): Seconds spent processing so far.
        result_format (None | str | Unset):
    """

    status: JobState | str
    job_id: str | Unset = UNSET
    id: str | Unset = UNSET
    progress: float | None | Unset = UNSET
    total_pages: int | None | Unset = UNSET
    processed_pages: int | None | Unset = UNSET
    error_message: None | str | Unset = UNSET
    created_at: None | str | Unset = UNSET
    updated_at: None | str | Unset = UNSET
    file_name: None | str | Unset = UNSET
    processing_time: float | None | Unset = UNSET
    result_format: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        status: str
        if isinstance(self.status, JobState):
            status = self.status.value
        else:
            status = self.status

        job_id = self.job_id

        id = self.id

        progress: float | None | Unset
        if isinstance(self.progress, Unset):
            progress = UNSET
        else:
            progress = self.progress

        total_pages: int | None | Unset
        if isinstance(self.total_pages, Unset):
            total_pages = UNSET
        else:
            total_pages = self.total_pages

        processed_pages: int | None | Unset
        if isinstance(self.processed_pages, Unset):
            processed_pages = UNSET
        else:
            processed_pages = self.processed_pages

        error_message: None | str | Unset
        if isinstance(self.error_message, Unset):
            error_message = UNSET
        else:
            error_message = self.error_message

        created_at: None | str | Unset
        if isinstance(self.created_at, Unset):
            created_at = UNSET
        else:
            created_at = self.created_at

        updated_at: None | str | Unset
        if isinstance(self.updated_at, Unset):
            updated_at = UNSET
        else:
            updated_at = self.updated_at

        file_name: None | str | Unset
        if isinstance(self.file_name, Unset):
            file_name = UNSET
        else:
            file_name = self.file_name

        processing_time: float | None | Unset
        if isinstance(self.processing_time, Unset):
            processing_time = UNSET
        else:
            processing_time = self.processing_time

        result_format: None | str | Unset
        if isinstance(self.result_format, Unset):
            result_format = UNSET
        else:
            result_format = self.result_format

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "status": status,
            }
        )
        if job_id is not UNSET:
            field_dict["job_id"] = job_id
        if id is not UNSET:
            field_dict["id"] = id
        if progress is not UNSET:
            field_dict["progress"] = progress
        if total_pages is not UNSET:
            field_dict["total_pages"] = total_pages
        if processed_pages is not UNSET:
            field_dict["processed_pages"] = processed_pages
        if error_message is not UNSET:
            field_dict["error_message"] = error_message
        if created_at is not UNSET:
            field_dict["created_at"] = created_at
        if updated_at is not UNSET:
            field_dict["updated_at"] = updated_at
        if file_name is not UNSET:
            field_dict["file_name"] = file_name
        if processing_time is not UNSET:
            field_dict["processing_time"] = processing_time
        if result_format is not UNSET:
            field_dict["result_format"] = result_format

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)

        def _parse_status(data: object) -> JobState | str:
            try:
                if not isinstance(data, str):
                    raise TypeError()
                status_type_0 = JobState(data)

                return status_type_0
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(JobState | str, data)

        status = _parse_status(d.pop("status"))

        job_id = d.pop("job_id", UNSET)

        id = d.pop("id", UNSET)

        def _parse_progress(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        progress = _parse_progress(d.pop("progress", UNSET))

        def _parse_total_pages(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        total_pages = _parse_total_pages(d.pop("total_pages", UNSET))

        def _parse_processed_pages(data: object) -> int | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(int | None | Unset, data)

        processed_pages = _parse_processed_pages(d.pop("processed_pages", UNSET))

        def _parse_error_message(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        error_message = _parse_error_message(d.pop("error_message", UNSET))

        def _parse_created_at(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        created_at = _parse_created_at(d.pop("created_at", UNSET))

        def _parse_updated_at(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        updated_at = _parse_updated_at(d.pop("updated_at", UNSET))

        def _parse_file_name(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        file_name = _parse_file_name(d.pop("file_name", UNSET))

        def _parse_processing_time(data: object) -> float | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(float | None | Unset, data)

        processing_time = _parse_processing_time(d.pop("processing_time", UNSET))

        def _parse_result_format(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        result_format = _parse_result_format(d.pop("result_format", UNSET))

        job_status = cls(
            status=status,
            job_id=job_id,
            id=id,
            progress=progress,
            total_pages=total_pages,
            processed_pages=processed_pages,
            error_message=error_message,
            created_at=created_at,
            updated_at=updated_at,
            file_name=file_name,
            processing_time=processing_time,
            result_format=result_format,
        )

        job_status.additional_properties = d
        return job_status

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties

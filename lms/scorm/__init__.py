"""SCORM 1.2 export: a published course's track as a content package for ESR and NHS Learning Hub."""

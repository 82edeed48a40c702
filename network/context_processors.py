"""Navigation facts for the page header, asked of the access policy."""

from django.utils.functional import SimpleLazyObject

from . import access


def roles(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def nav():
        from trust.second_factor import second_factor_pending

        return {
            "second_factor_pending": second_factor_pending(user),
            "is_secretariat": access.is_secretariat(user),
            "is_facility_admin": access.is_facility_admin(user),
        }

    return {"nav": SimpleLazyObject(nav)}

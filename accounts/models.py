"""The user model. The login ID is the e-mail address, as in the regional guide."""

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("The e-mail address is the login ID and must be given.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, username):
        return self.get(**{f"{self.model.USERNAME_FIELD}__iexact": username})


class User(AbstractUser):
    """A person who signs in: secretariat clerk, facility admin, staff member or family.

    Japanese order is family name first, so ``get_full_name`` returns "姓 名".
    ``is_staff`` keeps Django's meaning (may enter the Wagtail admin); it has nothing
    to do with being a facility's staff member.
    """

    username = None
    email = models.EmailField(_("メールアドレス（ログインID）"), unique=True)
    last_name_kana = models.CharField(_("姓（かな）"), max_length=150, blank=True)
    first_name_kana = models.CharField(_("名（かな）"), max_length=150, blank=True)
    # Part of every invitation link's signature; a new invitation replaces it, so only the
    # latest link works (accounts.invitations).
    invitation_nonce = models.CharField(max_length=32, blank=True, editable=False)

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["last_name", "first_name"]

    objects = UserManager()

    class Meta:
        verbose_name = _("利用者")
        verbose_name_plural = _("利用者")
        ordering = ["last_name_kana", "first_name_kana", "email"]

    def save(self, *args, **kwargs):
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)

    def get_full_name(self):
        return f"{self.last_name} {self.first_name}".strip() or self.email

    def get_short_name(self):
        return self.last_name or self.email

    def __str__(self):
        return self.get_full_name()
